"""Stored results carry the analysis method that made them: after an upgrade changes the
method, a patient's results are re-analysed in full (never half old, half new) and views
say "analysis pending" until they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wearlog.analysis import config as analysis_config
from wearlog.analysis.config import AnalysisConfig, method_id
from wearlog.cli import main
from wearlog.pipeline import refresh, refresh_patient, requeue_other_methods
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

ALL = ("0000-01-01", "9999-12-31")
OLD = AnalysisConfig(period_bout_min=0.0)  # the default before the 10-min trim


def _records() -> list[Any]:
    # 9 days: longer than a refresh span, so a late day takes the incremental path
    return make_wearer(9, seed=5, markers=False).records


def _nights(s: Store) -> list[dict[str, Any]]:
    return [{k: v for k, v in n.items() if k != "refreshed_utc"}
            for n in s.nights_between("P", *ALL)]


def _analysed(s: Store, records: list[Any], cfg: AnalysisConfig | None = None) -> Store:
    """Patient P wearing device 1: these records ingested and refreshed with cfg."""
    s.add_patient("P")
    s.add_device(1, "P")
    s.ingest(1, records)
    assert all(r.ok for r in refresh(s, cfg=cfg))
    return s


def _fresh(tmp: Path, records: list[Any]) -> list[dict[str, Any]]:
    """Every record in one ingest, analysed by the current method."""
    with Store(tmp / "fresh.db") as s:
        return _nights(_analysed(s, records))


def test_results_carry_their_method(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as s:
        _analysed(s, _records(), OLD)
        assert s.analysis_method("P") == method_id(OLD) != method_id()
        assert requeue_other_methods(s, OLD) == []  # same method: nothing queued
        assert s.analysis_state("P")["status"] == "ok"


def test_a_late_day_after_a_method_change_reanalyses_everything(tmp_path: Path) -> None:
    """The stored nights came from the old method: a span of new records must not join
    them; the whole patient is analysed again by the new one."""
    records = _records()
    cut = len(records) * 8 // 9  # the last day arrives after the upgrade
    with Store(tmp_path / "a.db") as s:
        _analysed(s, records[:cut], OLD)
        old = _nights(s)
        s.ingest(1, records[cut:])
        refresh_patient(s, "P")  # the new default method (not through refresh(), which
        # would queue the patient in full first: the refresh itself must see the change)
        got = _nights(s)
        assert s.analysis_method("P") == method_id()
    want = _fresh(tmp_path, records)
    assert got == want
    # the methods differ on these nights (else this test could not fail)
    early = {n["night"] for n in got} & {n["night"] for n in old}
    assert [n for n in got if n["night"] in early] != [n for n in old if n["night"] in early]


def test_after_an_upgrade_views_say_pending_until_refreshed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "a.db"
    with Store(db) as s:
        _analysed(s, _records())
        before = s.stored_summary("P", 14)
    monkeypatch.setattr(analysis_config, "METHOD_REVISION", analysis_config.METHOD_REVISION + 1)
    from wearlog.web.app import _prepare_db

    _prepare_db(db)  # what `wearlog serve` does before its first request
    with Store.reader(db) as s:
        assert s.analysis_state("P")["status"] == "pending"
        assert [e.full for e in s.pending()] == [True]
    res = CliRunner().invoke(main, ["report", "--patient", "P", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    with Store.reader(db) as s:
        assert s.analysis_state("P")["status"] == "ok"
        assert s.analysis_method("P") == method_id()
        assert json.loads(s.stored_summary("P", 14) or b"{}")["nights"] == \
            json.loads(before or b"{}")["nights"]  # same code: the same figures again


def test_figures_rebuilt_without_reanalysis_keep_the_stored_method(tmp_path: Path) -> None:
    from wearlog.pipeline.refresh import rebuild_figures

    with Store(tmp_path / "a.db") as s:
        _analysed(s, _records(), OLD)
        rebuild_figures(s, "P")  # e.g. after an exclusion: the rows are not re-analysed
        assert s.analysis_method("P") == method_id(OLD)
        assert requeue_other_methods(s) == ["P"]


def test_a_refresh_for_one_patient_requeues_only_that_patient(tmp_path: Path) -> None:
    """After an upload the refresh reads the method of the uploading patient alone; the
    others are requeued when the server starts (or by `wearlog refresh`)."""
    records = _records()
    with Store(tmp_path / "a.db") as s:
        for pid, dev in (("A", 1), ("B", 2)):
            s.add_patient(pid)
            s.add_device(dev, pid)
            s.ingest(dev, records)
        assert all(r.ok for r in refresh(s, cfg=OLD))
        (res,) = refresh(s, "A")  # the current method: A's old results are redone in full
        assert res.ok and res.full and s.analysis_method("A") == method_id()
        assert s.analysis_state("B")["status"] == "ok" and s.pending() == []
        assert requeue_other_methods(s) == ["B"]
        assert [e.patient_id for e in s.pending()] == ["B"]
