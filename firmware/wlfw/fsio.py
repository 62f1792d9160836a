# The filesystem the record log writes through. Injected so tests can cut
# power at any byte or fill the disk; on the device it is just open() and os.
import os


class OsFs:
    """The real filesystem: only calls MicroPython's os has (littlefs on boards)."""

    def open(self, path, mode):
        return open(path, mode)

    def listdir(self, path):
        return os.listdir(path)

    def remove(self, path):
        os.remove(path)

    def rename(self, old, new):
        os.rename(old, new)

    def statvfs(self, path):
        return os.statvfs(path)

    def mkdir(self, path):
        try:
            os.mkdir(path)
        except OSError:
            pass  # already there
