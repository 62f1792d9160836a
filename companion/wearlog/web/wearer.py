"""What the wearer added by hand, for the clinician's views: the diary and the night
corrections of a range (read from the store; nothing computed, nothing written)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from wearlog.store import Store


def wearer_entries(store: Store, patient_id: str, first: str | None, last: str | None
                   ) -> dict[str, Any]:
    """Diary entries and active corrections of [first, last] (all when a bound is None),
    corrections with their local clock times, as the wearer typed them."""
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    lo, hi = first or "0000-01-01", last or "9999-12-31"

    def local(utc: int) -> str:
        return dt.datetime.fromtimestamp(utc, tz).strftime("%Y-%m-%d %H:%M")

    corrections = [{**c, "bed_local": local(c["bed_utc"]), "up_local": local(c["up_utc"])}
                   for c in store.corrections_of(patient_id) if lo <= c["night"] <= hi]
    return {"patient_id": patient_id, "first_date": first, "last_date": last,
            "diary": store.diary_between(patient_id, lo, hi), "corrections": corrections}
