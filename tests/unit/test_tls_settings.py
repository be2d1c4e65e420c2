"""Serving HTTPS: the certificate and key are set together, and files that do not load are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from pydantic import ValidationError

from firebell.infra.settings import Settings, TlsSettings
from firebell.web.server import check_tls


def test_cert_and_key_are_set_together() -> None:
    with pytest.raises(ValidationError, match="set together"):
        TlsSettings(cert_file="server.pem")
    with pytest.raises(ValidationError, match="set together"):
        TlsSettings(key_file="server.key")
    assert not TlsSettings().enabled


def test_the_default_public_url_follows_the_scheme() -> None:
    tls = TlsSettings(cert_file="server.pem", key_file="server.key")
    assert Settings(host="10.0.0.1", port=8443, tls=tls).base_url() == "https://10.0.0.1:8443"
    assert Settings(host="10.0.0.1", port=8080).base_url() == "http://10.0.0.1:8080"


def test_files_that_do_not_load_are_refused(tmp_path: Path) -> None:
    cert = trustme.CA().issue_cert("firebell.example.com")
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    check_tls(TlsSettings(cert_file=str(cert_file), key_file=str(key_file)))
    check_tls(TlsSettings())
    with pytest.raises(ValueError, match="do not load: No such file"):
        check_tls(TlsSettings(cert_file=str(tmp_path / "missing.pem"), key_file=str(key_file)))
    other = tmp_path / "other.key"
    trustme.CA().issue_cert("elsewhere").private_key_pem.write_to_path(str(other))
    with pytest.raises(ValueError, match="do not load"):
        check_tls(TlsSettings(cert_file=str(cert_file), key_file=str(other)))
    with pytest.raises(ValueError, match="do not load"):
        check_tls(TlsSettings(cert_file=str(key_file), key_file=str(key_file)))
