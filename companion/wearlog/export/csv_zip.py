"""Everything of one patient as a zip of CSVs (one per exportable table): the wearer's
"take all my data with me"."""

from __future__ import annotations

import io
import zipfile

from wearlog.export.csv_tables import TABLES, write_csv
from wearlog.store import Store


def csv_zip(store: Store, patient_id: str) -> tuple[bytes, dict[str, int]]:
    """The zip's bytes and the number of data rows per table."""
    buf = io.BytesIO()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for table in TABLES:
            text = io.StringIO()
            counts[table] = write_csv(store, patient_id, table, text)
            z.writestr(f"{patient_id}-{table}.csv", text.getvalue())
    return buf.getvalue(), counts
