"""A FHIR R4 `collection` Bundle of Observations from nights, days and symptom events.

LOINC where a code exists (steps 41950-7, sleep duration 93832-4); the other metrics use
Wearlog's local code system LOCAL_SYSTEM, documented in docs/dashboard.md. Resource ids
are name-based UUIDs (patient, what, when), so exporting twice gives the same ids and a
receiver can update instead of duplicating. Values are rounded to what they can mean
(minutes and percent to 0.1, counts to whole numbers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from wearlog.store import Store
from wlproto.const import EV_SYMPTOM

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
SYMPTOM = (LOCAL_SYSTEM, "symptom-event",
           "Symptom event marked with the device's button (severity 1 = mild to 5 = severe)")
SURVEY = {
    "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "survey", "display": "Survey",
    }]
}
# decimals kept per UCUM unit: minutes and percent to 0.1, counts whole
DECIMALS = {"min": 1, "%": 1, "{#}": 0, "/(24.h)": 0}
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://wearlog.org/fhir/resource-ids")


def _stable_id(*parts: object) -> str:
    """The same resource gets the same id in every export."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(p) for p in parts)))


def _rounded(value: float, unit: str) -> float | int:
    digits = DECIMALS.get(unit, 2)
    return int(round(value)) if digits == 0 else round(float(value), digits)

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

def _fhir_id(patient_id: str) -> str:
    """FHIR ids allow [A-Za-z0-9-.]{1,64}; map anything else to '-'."""
    return re.sub(r"[^A-Za-z0-9.\-]", "-", patient_id)[:64] or "patient"


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


def _observation(pref: str, metric: tuple[str, str, str, str, str], value: float,
                 start: int, end: int, rid: str, category: dict[str, Any] = CATEGORY
                 ) -> dict[str, Any]:
    system, code, display, unit, unit_display = metric
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [category],
        "code": {"coding": [{"system": system, "code": code, "display": display}],
                 "text": display},
        "subject": {"reference": pref},
        "effectivePeriod": {"start": _iso(start), "end": _iso(end)},
        "valueQuantity": {"value": _rounded(value, unit), "unit": unit_display, "system": UCUM,
                          "code": unit},
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
                entries.append(_entry(_observation(
                    patient_url, metric, value, onset, offset,
                    _stable_id(pid, "night", night, metric[1]))))
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
                entries.append(_entry(_observation(
                    patient_url, metric, value, start, end,
                    _stable_id(pid, "day", r[0], metric[1]))))
    lo_utc = int(dt.datetime.combine(dt.date.fromisoformat(lo) if first else dt.date(1970, 1, 2),
                                     dt.time(0), tzinfo=tz).timestamp())
    hi_utc = (int(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
                  .timestamp()) if last else 2**62)
    seen: dict[int, int] = {}
    for ev in store.symptoms_between(patient_id, EV_SYMPTOM, lo_utc, hi_utc):
        k = seen[ev["utc"]] = seen.get(ev["utc"], -1) + 1  # several at one second stay apart
        entries.append(_entry(_symptom(patient_url, ev["utc"], ev["severity"],
                                       _stable_id(pid, "symptom", ev["utc"], k))))
    for entry in store.diary_between(patient_id, lo, hi):
        d = dt.date.fromisoformat(entry["day"])
        start = int(dt.datetime.combine(d, dt.time(0), tzinfo=tz).timestamp())
        end = int(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
                  .timestamp())
        for key, metric in DIARY_METRICS.items():
            if entry[key] is not None:
                obs = _observation(patient_url, metric, entry[key], start, end,
                                   _stable_id(pid, "diary", entry["day"], metric[1]), SURVEY)
                obs.pop("device")  # reported by the wearer, not measured
                obs["performer"] = [{"reference": patient_url}]
                entries.append(_entry(obs))
    content = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
    return {
        "resourceType": "Bundle",
        "id": _stable_id(pid, "bundle", content),
        "type": "collection",
        "timestamp": _iso(int(dt.datetime.now(dt.UTC).timestamp())),
        "entry": entries,
    }


def _symptom(pref: str, utc: int, severity: int, rid: str) -> dict[str, Any]:
    """A button-marked symptom event: its time and severity (1-5), as the wearer marked it."""
    system, code, display = SYMPTOM
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [{"system": system, "code": code, "display": display}],
                 "text": "Symptom event (severity 1-5)"},
        "subject": {"reference": pref},
        "effectiveDateTime": _iso(utc),
        "valueInteger": int(severity),
        "device": {"display": "Wearlog wrist-worn logger"},
    }


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
