from __future__ import annotations

import base64
from unittest import mock

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from firebell.kernel import ids
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


def test_ids_are_unique_and_sized() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert all(len(i) == 26 for i in ids)


def _reference(ms: int, rand: int) -> str:
    """RFC 4648 base32 of the 128-bit value, in Crockford's alphabet: the layout stored ids use."""
    crockford = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ids.CROCKFORD.encode())
    return base64.b32encode((ms << 80 | rand).to_bytes(16, "big"))[:26].translate(crockford).decode()


@given(ms=st.integers(0, 2**48 - 1), rand=st.integers(0, 2**80 - 1))
def test_id_encoding_is_base32_of_time_then_randomness(ms: int, rand: int) -> None:
    with (
        mock.patch.object(ids.time, "time_ns", return_value=ms * 1_000_000),
        mock.patch.object(ids._random, "getrandbits", return_value=rand),
    ):
        assert new_id() == _reference(ms, rand)


@given(a=st.integers(0, 2**48 - 1), b=st.integers(0, 2**48 - 1), ra=st.integers(0, 2**80 - 1))
def test_ids_sort_by_time(a: int, b: int, ra: int) -> None:
    assume(a != b)
    assert (_reference(a, ra) < _reference(b, 2**80 - 1 - ra)) == (a < b)


def test_secret_is_pagerduty_length_and_digest_is_stable() -> None:
    key = new_secret()
    assert len(key) == 32
    assert secret_digest(key) == secret_digest(key) != secret_digest(new_secret())
