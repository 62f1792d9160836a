"""Content-Disposition for downloads (RFC 6266): any file name, including non-Latin-1 ids
a database from before the patient-id check may hold, without a 500."""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE_FALLBACK = re.compile(r'[^A-Za-z0-9._-]')


def attachment(filename: str) -> str:
    """`attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`."""
    fallback = _UNSAFE_FALLBACK.sub("_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
