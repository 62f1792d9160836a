"""Request and response models of the JSON API (these make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from enum import IntEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from wearlog.store.wearer import check_correction
from wlproto.const import EV_SYMPTOM, EVENT_TYPES, FLAG_ALL, SEVERITY_MAX, SEVERITY_MIN
from wlproto.fields import EPOCH_TABLE, EVENT_TABLE

U8 = Annotated[int, Field(ge=0, le=255)]
U16 = Annotated[int, Field(ge=0, le=65535)]
U32 = Annotated[int, Field(ge=0, le=2**32 - 1)]
# The defined flag bits are the low bits up to FLAG_ALL; higher bits of the 6-bit field
# are reserved, so "at most FLAG_ALL" is exactly "no reserved bit set".
assert FLAG_ALL & (FLAG_ALL + 1) == 0
Flags = Annotated[int, Field(ge=0, le=FLAG_ALL)]
# Records are integers on the wire: no "1", true or 1.0 coerced into one.
STRICT = ConfigDict(extra="forbid", strict=True)
MAX_UPLOAD_RECORDS = 50_000


class Error(BaseModel):
    detail: str


def _table_fields(table: tuple[tuple[Any, ...], ...]) -> dict[str, Any]:
    """pydantic fields from a wlproto field table: the row's range, its default."""
    out: dict[str, Any] = {}
    for name, _code, unit, lo, hi, default, _since in table:
        kind = Annotated[int, Field(ge=lo, le=hi, description=unit or None)]
        out[name] = (kind, ... if default is None else default)
    return out


_HEADER: dict[str, Any] = {"seq": (U32, ...), "time": (U32, ...), "flags": (Flags, 0)}


class _EventChecks(BaseModel):
    """What the field table cannot say about an event: its type and a symptom's severity."""

    model_config = STRICT

    @model_validator(mode="after")
    def _severity(self) -> _EventChecks:
        etype, value = getattr(self, "etype"), getattr(self, "value")  # noqa: B009
        if etype not in EVENT_TYPES:
            raise ValueError(f"etype must be one of {list(EVENT_TYPES)}, got {etype}")
        if etype == EV_SYMPTOM and not SEVERITY_MIN <= value <= SEVERITY_MAX:
            raise ValueError(
                f"symptom severity must be {SEVERITY_MIN}..{SEVERITY_MAX}, got {value}"
            )
        return self


# One model per record type, derived from wlproto's field tables (a field added there
# reaches the upload schema with no edit here).
if TYPE_CHECKING:

    class EpochIn(BaseModel):
        seq: int
        time: int
        flags: int

        def __getattr__(self, name: str) -> Any: ...

    class EventIn(EpochIn): ...
else:
    EpochIn = create_model(
        "EpochIn", __config__=STRICT, __doc__="One epoch: fields, units and ranges as in "
        "wlproto.fields.EPOCH_TABLE.", **_HEADER, **_table_fields(EPOCH_TABLE))
    EventIn = create_model(
        "EventIn", __base__=_EventChecks, __doc__="One event: fields as in "
        "wlproto.fields.EVENT_TABLE.", **_HEADER, **_table_fields(EVENT_TABLE))


Scale = Annotated[int, Field(ge=0, le=10)]
UtcS = Annotated[int, Field(ge=0, le=2**62)]


def _real_date(v: str) -> str:
    """'2026-02-30' matches the pattern but is no day: refused with the model's 422."""
    dt.date.fromisoformat(v)  # ValueError -> pydantic's own 422 detail
    return v


IsoDate = Annotated[str, Field(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
                               json_schema_extra={"format": "date"}),
                    AfterValidator(_real_date)]
MAX_WEARER_ENTRIES = 2000


class DiaryIn(BaseModel):
    """One day of the wearer's diary (0-10 numeric rating scales)."""

    model_config = STRICT
    day: IsoDate
    pain: Scale
    fatigue: Scale
    sleep_quality: Scale
    mood: Scale
    stiffness_min: Annotated[int, Field(ge=0, le=1440)] | None = None
    note: Annotated[str, Field(max_length=500)] | None = None
    updated_utc: UtcS


class CorrectionIn(BaseModel):
    """The wearer's bed/up times for one night (removed=1: the correction was undone)."""

    model_config = STRICT
    night: IsoDate
    bed_utc: UtcS
    up_utc: UtcS
    removed: Annotated[int, Field(ge=0, le=1)] = 0
    updated_utc: UtcS

    @model_validator(mode="after")
    def _window(self) -> CorrectionIn:
        """The store's own check (up after bed, within 20 h): its BadRecordError is a
        ValueError, so a bad window is the model's 422 like any other field's."""
        check_correction(self.model_dump())
        return self


class UploadIn(BaseModel):
    model_config = STRICT
    device_id: Annotated[int, Field(ge=0, le=2**63 - 1)]
    epoch_s: Annotated[int | None, Field(
        ge=1, le=86400, description="The device's epoch length in seconds, as it reported "
        "at pairing; refused (409) when the clinic enrolled the device with another")] = None
    epochs: Annotated[list[EpochIn], Field(max_length=MAX_UPLOAD_RECORDS)] = []
    events: Annotated[list[EventIn], Field(max_length=MAX_UPLOAD_RECORDS)] = []
    diary: Annotated[list[DiaryIn], Field(max_length=MAX_WEARER_ENTRIES)] = []
    corrections: Annotated[list[CorrectionIn], Field(max_length=MAX_WEARER_ENTRIES)] = []

    @model_validator(mode="after")
    def _unique(self) -> UploadIn:
        seqs = [r.seq for r in self.epochs] + [r.seq for r in self.events]
        if len(seqs) != len(set(seqs)):
            raise ValueError("each seq may appear once per upload (epochs and events share seq)")
        return self


class UploadOut(BaseModel):
    device_id: int
    received: int
    new: int
    last_seq: int | None
    analysis: str = Field("ok", description="'ok' once the refresh step has analysed the "
                          "records, else 'failed: reason' (records kept, retried later)")


class PatientRow(BaseModel):
    patient_id: str
    last_sync_utc: int | None
    last_data_utc: int | None
    wear_hours_7d: float | None
    high_severity_7d: int | None
    sleep_worse: bool | None
    analysis_status: Literal["ok", "pending", "failed", "none"]
    flags: list[str]


class Summary(BaseModel):
    model_config = ConfigDict(extra="allow")
    patient_id: str
    range_days: int
    analysis_status: Literal["ok", "pending", "failed", "none"]
    analysis_available: bool
    nights: list[dict[str, Any]]
    days: list[dict[str, Any]]
    symptoms: list[dict[str, int]]
    completeness: list[dict[str, Any]]
    rhythm: dict[str, Any]
    topics: dict[str, Any]
    disclaimer: str


class Actogram(BaseModel):
    model_config = ConfigDict(extra="allow")
    patient_id: str
    dates: list[str]
    epoch_s: int
    per_day: int
    values_b64: str
    epochs_with_data: int


class RangeDays(IntEnum):
    """The summary ranges a clinician can pick."""

    two_weeks = 14
    thirty_days = 30
    ninety_days = 90
