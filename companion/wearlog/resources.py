"""Where the folders Wearlog ships beside its code are: the firmware and the content.

firmware/ and shared/content are the only copies; the wheel maps them in as
the data packages `wearlog._firmware` and `wearlog._content` (see setup.py),
which an installed wheel finds through the import system. An editable install
cannot import them (setuptools' editable finder skips namespace packages
nested in a regular one) and a bare checkout has no install: both use the tree.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]  # the repository, when run from one


def shipped_dir(package: str, checkout_path: str) -> Path:
    """The folder of data package `package`, else `checkout_path` under the checkout.

    The result may not exist (neither installed nor in a checkout): callers
    check and say what is missing in their own terms.
    """
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if Path(location).is_dir():
                return Path(location)
    return CHECKOUT / checkout_path


def shipped_firmware() -> Path:
    """firmware/: wlfw's siblings boards/, drivers/ and the host port."""
    return shipped_dir("wearlog._firmware", "firmware")


def shipped_content() -> Path:
    """shared/content: the educational topics, sections.toml and rules.toml."""
    return shipped_dir("wearlog._content", "shared/content")
