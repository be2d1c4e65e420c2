from __future__ import annotations

import pytest

from firebell.kernel.ids import new_id, new_secret, secret_digest
from firebell.kernel.severity import Sev


@pytest.mark.parametrize(("text", "sev"), [("SEV-1", Sev.SEV1), ("sev2", Sev.SEV2), ("P3", Sev.SEV3), ("4", Sev.SEV4)])
def test_parse_accepts_aliases(text: str, sev: Sev) -> None:
    assert Sev.parse(text) is sev


def test_parse_refuses_unknown() -> None:
    with pytest.raises(ValueError, match="unknown severity"):
        Sev.parse("SEV-9")


def test_worst() -> None:
    assert Sev.worst(Sev.SEV3, Sev.SEV1) is Sev.SEV1


def test_ids_sort_by_time_and_are_unique() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert all(len(i) == 26 for i in ids)


def test_secret_is_pagerduty_length_and_digest_is_stable() -> None:
    key = new_secret()
    assert len(key) == 32
    assert secret_digest(key) == secret_digest(key) != secret_digest(new_secret())
