# The pairing protocol's challenge-response proofs (shared/PROTOCOL.md,
# "Authentication"): one definition for the device (wlfw.sync_server) and the
# companion (wearlog.ble.link). HMAC-SHA256 is built here from hashlib.sha256:
# the ESP32 and rp2 ports have no hmac module.
import hashlib

from wlproto.const import PROOF_SIZE

_BLOCK = 64


def hmac_sha256(key, msg):
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    k = bytearray(_BLOCK)
    k[: len(key)] = key
    ipad = bytearray(_BLOCK)
    opad = bytearray(_BLOCK)
    for i in range(_BLOCK):
        ipad[i] = k[i] ^ 0x36
        opad[i] = k[i] ^ 0x5C
    inner = hashlib.sha256(bytes(ipad))
    inner.update(msg)
    outer = hashlib.sha256(bytes(opad))
    outer.update(inner.digest())
    return outer.digest()


def device_proof(secret, client_nonce, device_nonce):
    """The device's answer to OP_AUTH_BEGIN: it holds the secret."""
    return hmac_sha256(secret, b"WLdev" + bytes(client_nonce) + bytes(device_nonce))[:PROOF_SIZE]


def central_proof(secret, client_nonce, device_nonce):
    """The central's OP_AUTH_PROVE: it holds the secret too (nonces in the other order)."""
    return hmac_sha256(secret, b"WLcen" + bytes(device_nonce) + bytes(client_nonce))[:PROOF_SIZE]


def equal(a, b):
    """Constant-time comparison (no early exit on the first differing byte)."""
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    return d == 0
