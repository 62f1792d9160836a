# The pairing proofs (wlproto.auth) in MicroPython (collected by tests/conftest.py;
# tests/shared/test_auth.py runs the same functions on CPython against the stdlib hmac).
# RFC 4231 test cases 1, 2 and 6 (a key longer than the 64-byte block).
import binascii

from wlproto import auth
from wlproto.const import PROOF_SIZE

RFC4231 = (
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
)


def test_hmac_sha256_matches_rfc4231():
    for key, msg, want in RFC4231:
        assert binascii.hexlify(auth.hmac_sha256(key, msg)).decode() == want


def test_proofs_bind_secret_and_both_nonces_in_order():
    s, cn, dn = b"s" * 16, b"C" * 16, b"D" * 16
    dev = auth.device_proof(s, cn, dn)
    cen = auth.central_proof(s, cn, dn)
    assert len(dev) == PROOF_SIZE and len(cen) == PROOF_SIZE
    assert dev == auth.hmac_sha256(s, b"WLdev" + cn + dn)[:PROOF_SIZE]
    assert cen == auth.hmac_sha256(s, b"WLcen" + dn + cn)[:PROOF_SIZE]
    assert dev != cen
    assert auth.device_proof(s, dn, cn) != dev  # nonces swapped
    assert auth.device_proof(b"t" * 16, cn, dn) != dev  # another secret


def test_equal_compares_whole_values():
    assert auth.equal(b"abc", b"abc")
    assert not auth.equal(b"abc", b"abd")
    assert not auth.equal(b"abc", b"ab")
    assert auth.equal(b"", b"")
