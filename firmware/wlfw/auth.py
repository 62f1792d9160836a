# Pairing secret and the challenge-response proofs (shared/PROTOCOL.md,
# "Authentication"). HMAC-SHA256 is built here from hashlib.sha256: the
# ESP32 and rp2 ports have no hmac module.
import hashlib

from wlproto.const import PROOF_SIZE, SECRET_SIZE

_BLOCK = 64
SECRET_FILE = "pairing.key"


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
    return hmac_sha256(secret, b"WLdev" + bytes(client_nonce) + bytes(device_nonce))[:PROOF_SIZE]


def central_proof(secret, client_nonce, device_nonce):
    return hmac_sha256(secret, b"WLcen" + bytes(device_nonce) + bytes(client_nonce))[:PROOF_SIZE]


def equal(a, b):
    """Constant-time comparison (no early exit on the first differing byte)."""
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    return d == 0


class SecretStore:
    """The per-device pairing secret on flash (None until paired)."""

    def __init__(self, directory, fs):
        self.path = directory + "/" + SECRET_FILE
        self.fs = fs
        self._secret = None
        try:
            f = fs.open(self.path, "rb")
            try:
                data = f.read()
            finally:
                f.close()
            if len(data) == SECRET_SIZE:
                self._secret = bytes(data)
        except OSError:
            pass

    def get(self):
        return self._secret

    def set(self, secret):
        tmp = self.path + ".tmp"
        private = getattr(self.fs, "open_private", None)  # 0600 where files have modes
        f = private(tmp) if private is not None else self.fs.open(tmp, "wb")
        try:
            f.write(secret)
        finally:
            f.close()
        self.fs.rename(tmp, self.path)
        self._secret = bytes(secret)

    def clear(self):
        try:
            self.fs.remove(self.path)
        except OSError:
            pass
        self._secret = None
