"""The one step from stored records to stored results, run after every ingest.

ingest (BLE sync, upload API, import, restore) -> store (records + refresh queue, one
transaction) -> refresh (this package: analyse what changed, store nights, days,
profiles, rolling figures, per-range summaries, education links and the figures of
imported activity counts) -> views (read).
"""

from wearlog.pipeline.figures import RANGES, build_summary, summary_json
from wearlog.pipeline.refresh import (
    RefreshError,
    RefreshResult,
    refresh,
    refresh_patient,
    requeue_other_methods,
)

__all__ = [
    "RANGES",
    "RefreshError",
    "RefreshResult",
    "build_summary",
    "refresh",
    "refresh_patient",
    "requeue_other_methods",
    "summary_json",
]
