# The pairing secret on the device's flash. The proofs made with it are part of
# the protocol and live in shared/wlproto/auth.py (the companion uses them too).
from wlproto.const import SECRET_SIZE

SECRET_FILE = "pairing.key"


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
