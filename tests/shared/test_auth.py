"""The pairing proofs on CPython: the same MicroPython test module, and wlproto.auth's
hand-built HMAC against the standard library's for any key and message."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.shared import mp_test_auth as vm_tests
from wlproto import auth


@pytest.mark.parametrize("name", sorted(n for n in dir(vm_tests) if n.startswith("test_")))
def test_auth_on_cpython(name: str) -> None:
    getattr(vm_tests, name)()


@given(key=st.binary(max_size=200), msg=st.binary(max_size=300))
def test_hmac_matches_the_standard_library(key: bytes, msg: bytes) -> None:
    assert auth.hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).digest()


@given(a=st.binary(max_size=40), b=st.binary(max_size=40))
def test_equal_is_equality(a: bytes, b: bytes) -> None:
    assert auth.equal(a, b) == (a == b)
