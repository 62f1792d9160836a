"""Which packages the wheel holds, from the three source roots.

Metadata lives in pyproject.toml; this file only lists packages, because two
of them are folders mapped from elsewhere in the repository and pyproject's
`packages.find` cannot map a package to another folder:
- `wearlog._firmware` is firmware/ (wlfw, boards, drivers and the host port
  that runs the unchanged firmware on CPython for `wearlog demo`);
- `wearlog._content` is shared/content (the educational topics).
firmware/ and shared/ stay the only copy; wearlog.resources finds them in an
installed wheel, an editable install or a bare checkout alike.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {"companion": "wearlog", "shared": "wlproto", "firmware": "wlfw"}

packages: list[str] = []
package_dir: dict[str, str] = {}
for root, top in ROOTS.items():
    # Namespace discovery as pyproject's `packages.find` did: templates/ and static/
    # are packages too, so setuptools ships their files without a warning.
    for pkg in find_namespace_packages(root, include=[top, top + ".*"],
                                       exclude=["*.__pycache__", "*.__pycache__.*"]):
        packages.append(pkg)
        package_dir[pkg] = root + "/" + pkg.replace(".", "/")

# Data packages: no __init__.py of their own (firmware/ must not become one).
DATA = {"wearlog._firmware": "firmware", "wearlog._firmware.hostport": "firmware/hostport",
        "wearlog._firmware.boards": "firmware/boards",
        "wearlog._firmware.drivers": "firmware/drivers",
        "wearlog._content": "shared/content", "wearlog._content.topics": "shared/content/topics"}
packages += list(DATA)
package_dir.update(DATA)

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={
        "wearlog": ["py.typed", "web/templates/*.html", "web/static/**/*",
                    "app/templates/*.html", "app/static/**/*"],
        "wearlog._content": ["*.md", "*.toml"],
        "wearlog._content.topics": ["*.md"],
    },
)
