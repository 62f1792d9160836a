"""A FHIR R4 `collection` Bundle of Observations from nights and days.

LOINC where a code exists (steps 41950-7, sleep duration 93832-4); the other metrics use
Wearlog's local code system LOCAL_SYSTEM, documented in docs/dashboard.md.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from wearlog.store import Store

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL_SYSTEM = "https://wearlog.org/fhir/CodeSystem/wearlog-metrics"
PATIENT_ID_SYSTEM = "https://wearlog.org/fhir/sid/patient-pseudonym"
CATEGORY = {
    "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "activity", "display": "Activity",
    }]
}

# column -> (system, code, display, UCUM unit, unit display)
NIGHT_METRICS = {
    "tst_min": (LOINC, "93832-4", "Sleep duration", "min", "min"),
    "tib_min": (LOCAL_SYSTEM, "time-in-bed", "Time in bed", "min", "min"),
    "sol_min": (LOCAL_SYSTEM, "sleep-onset-latency", "Sleep onset latency", "min", "min"),
    "waso_min": (LOCAL_SYSTEM, "wake-after-sleep-onset", "Wake after sleep onset", "min", "min"),
    "se_pct": (LOCAL_SYSTEM, "sleep-efficiency", "Sleep efficiency", "%", "%"),
    "awakenings": (LOCAL_SYSTEM, "awakenings", "Number of awakenings", "{#}", "awakenings"),
}
DAY_METRICS = {
    "steps": (LOINC, "41950-7", "Number of steps in 24 hour Measured", "/(24.h)", "steps/day"),
    "mvpa_min": (LOCAL_SYSTEM, "mvpa-duration",
                 "Moderate-to-vigorous physical activity duration", "min", "min"),
    "sedentary_min": (LOCAL_SYSTEM, "sedentary-duration", "Sedentary time", "min", "min"),
    "wear_min": (LOCAL_SYSTEM, "wear-time", "Device wear time", "min", "min"),
}

# The wearer's diary (0-10 numeric rating scales, reported): pain has a LOINC code; for
# fatigue, sleep quality, mood and morning stiffness no 0-10 self-report code was found,
# so they use the local system (docs/dashboard.md lists them).
DIARY_METRICS = {
    "pain": (LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
             "{score}", "score"),
    "fatigue": (LOCAL_SYSTEM, "diary-fatigue", "Fatigue, 0-10 numeric rating (reported)",
                "{score}", "score"),
    "sleep_quality": (LOCAL_SYSTEM, "diary-sleep-quality",
                      "Sleep quality, 0-10 numeric rating (reported)", "{score}", "score"),
    "mood": (LOCAL_SYSTEM, "diary-mood", "Mood, 0-10 numeric rating (reported)", "{score}",
             "score"),
    "stiffness_min": (LOCAL_SYSTEM, "diary-morning-stiffness", "Morning stiffness duration "
                      "(reported)", "min", "min"),
}
SURVEY = {"coding": [{
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "survey", "display": "Survey",
}]}


def _fhir_id(patient_id: str) -> str:
    """FHIR ids allow [A-Za-z0-9-.]{1,64}; map anything else to '-'."""
    return re.sub(r"[^A-Za-z0-9.\-]", "-", patient_id)[:64] or "patient"


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


def _observation(pref: str, metric: tuple[str, str, str, str, str], value: float,
                 start: int, end: int, category: dict[str, Any] = CATEGORY) -> dict[str, Any]:
    system, code, display, unit, unit_display = metric
    return {
        "resourceType": "Observation",
        "id": str(uuid.uuid4()),
        "status": "final",
        "category": [category],
        "code": {"coding": [{"system": system, "code": code, "display": display}],
                 "text": display},
        "subject": {"reference": pref},
        "effectivePeriod": {"start": _iso(start), "end": _iso(end)},
        "valueQuantity": {"value": value, "unit": unit_display, "system": UCUM, "code": unit},
        "device": {"display": "Wearlog wrist-worn logger"},
    }


def fhir_bundle(store: Store, patient_id: str,
                first: dt.date | None = None, last: dt.date | None = None) -> dict[str, Any]:
    """Bundle with the Patient (pseudonym only) and one Observation per valid metric value
    (the stored nights and days: the same values the dashboard and report show)."""
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    lo = (first or dt.date.min).isoformat()
    hi = (last or dt.date.max).isoformat()
    pid = _fhir_id(patient_id)
    patient_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, PATIENT_ID_SYSTEM + '/' + pid)}"
    entries: list[dict[str, Any]] = [{
        "fullUrl": patient_url,
        "resource": {"resourceType": "Patient", "id": pid,
                     "identifier": [{"system": PATIENT_ID_SYSTEM, "value": patient_id}]},
    }]
    for n in store.nights_between(patient_id, lo, hi):
        if not n["valid"]:
            continue
        r = (n["night"], n["onset_utc"], n["offset_utc"], *(n[k] for k in NIGHT_METRICS))
        night, onset, offset = r[0], r[1], r[2]
        if onset is None or offset is None:
            d = dt.date.fromisoformat(night)
            onset = int(dt.datetime.combine(d, dt.time(12), tzinfo=tz).timestamp())
            offset = onset + 86400
        for metric, value in zip(NIGHT_METRICS.values(), r[3:], strict=True):
            if value is not None:
                entries.append(_entry(_observation(patient_url, metric, value, onset, offset)))
    for day in store.days_between(patient_id, lo, hi):
        if not day["valid"]:
            continue
        r = (day["day"], *(day[k] for k in DAY_METRICS))
        d = dt.date.fromisoformat(r[0])
        start = int(dt.datetime.combine(d, dt.time(0), tzinfo=tz).timestamp())
        end = int(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
                  .timestamp())
        for metric, value in zip(DAY_METRICS.values(), r[1:], strict=True):
            if value is not None:
                entries.append(_entry(_observation(patient_url, metric, value, start, end)))
    for entry in store.diary_between(patient_id, lo, hi):
        d = dt.date.fromisoformat(entry["day"])
        start = int(dt.datetime.combine(d, dt.time(0), tzinfo=tz).timestamp())
        end = int(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
                  .timestamp())
        for key, metric in DIARY_METRICS.items():
            if entry[key] is not None:
                obs = _observation(patient_url, metric, entry[key], start, end, SURVEY)
                obs.pop("device")  # reported by the wearer, not measured
                obs["performer"] = [{"reference": patient_url}]
                entries.append(_entry(obs))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": _iso(int(dt.datetime.now(dt.UTC).timestamp())),
        "entry": entries,
    }


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
