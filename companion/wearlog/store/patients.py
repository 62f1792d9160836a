"""What a patient row may hold: the documented id pattern and a known time zone.

Checked wherever a patient is created (Store.add_patient, an import), and by the CLI
before it touches a radio or a file.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wearlog.store.errors import BadPatientIdError, StoreError

# Pseudonymous patient ids: ASCII letters, digits, '.', '_', '-', 1-64 characters, starting
# with a letter or digit. Such an id is a URL path segment and a file name as it is, so
# every route, export and download can carry it (docs/dashboard.md).
PATIENT_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_PATIENT_ID = re.compile(PATIENT_ID_PATTERN)


def check_patient_id(patient_id: object) -> str:
    """The id if it follows PATIENT_ID_PATTERN, else BadPatientIdError saying what does."""
    if not isinstance(patient_id, str) or not _PATIENT_ID.fullmatch(patient_id):
        raise BadPatientIdError(
            f"patient id {patient_id!r} is not allowed: use 1-64 ASCII letters, digits, "
            "'.', '_' or '-', starting with a letter or digit (e.g. 'P-0042')"
        )
    return patient_id


def check_timezone(tz: str) -> str:
    """The IANA zone name if this machine knows it, else a StoreError naming an example."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise StoreError(
            f"unknown time zone {tz!r}: use an IANA name like 'Europe/Berlin'"
        ) from e
    return tz
