# The filesystem the record log writes through. Injected so tests can cut
# power at any byte or fill the disk; on the device it is just open() and os.
import os


def open_private(path):
    """A new file for writing that only its owner may read, where files have modes.

    CPython (the host port, a laptop): created 0600 and chmod-ed 0600 if it was
    left over. MicroPython on a board (littlefs): no users, no modes, so a plain
    open; whoever holds the board's USB port can read every file there.
    """
    o = getattr(os, "open", None)
    if o is None:
        return open(path, "wb")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC  # type: ignore[attr-defined]
    fd = o(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # an earlier file of that name may have been world-readable
    return os.fdopen(fd, "wb")


class OsFs:
    """The real filesystem: only calls MicroPython's os has (littlefs on boards)."""

    def open(self, path, mode):
        return open(path, mode)

    def open_private(self, path):
        return open_private(path)

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
