"""Foreseeable mistakes get one line a person can act on, never a traceback (issue 14.19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wearlog.cli import main
from wearlog.store import Store


def _run(*args: str):
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code != 0, res.output
    # CliRunner catches what would be a traceback: it must not have been one
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    return res.output


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    f = tmp_path / "a.csv"
    f.write_text("timestamp,enmo\n1780000020,5\n1780000050,6\n")
    return f


def test_import_with_an_unknown_zone_name(tmp_path, csv_file):
    db = tmp_path / "w.db"
    out = _run("import", str(csv_file), "--patient", "P-1", "--tz", "Berlin", "--db", str(db))
    assert "'Berlin'" in out and "Europe/Berlin" in out


def test_import_with_a_patient_id_outside_the_pattern(tmp_path, csv_file):
    out = _run("import", str(csv_file), "--patient", "Ω/1", "--tz", "UTC",
               "--db", str(tmp_path / "w.db"))
    assert "'Ω/1'" in out and "letters, digits" in out


@pytest.fixture
def no_bluetooth(monkeypatch):
    import wearlog.commands.ble as ble_cmd

    def touched(*_a, **_k):
        raise AssertionError("Bluetooth was used before the arguments were checked")

    for name in ("bluetooth", "find_and_pair"):  # how the CLI reaches Bluetooth
        monkeypatch.setattr(ble_cmd, name, touched)


@pytest.mark.parametrize(("args", "says"), [
    (["--patient", "P-1", "--tz", "Mars/Olympus"], "'Mars/Olympus'"),
    (["--patient", "P-1", "--tz", "Berlin"], "Europe/Berlin"),
    (["--patient", "P 1"], "letters, digits"),
])
def test_pair_checks_its_arguments_before_bluetooth(tmp_path, no_bluetooth, args, says):
    out = _run("pair", *args, "--db", str(tmp_path / "w.db"))
    assert says in out


def test_missing_patient_names_no_internal_function(tmp_path):
    db = tmp_path / "w.db"
    with Store(db) as s:
        s.add_patient("P-1")
    out = _run("report", "--patient", "P-2", "--db", str(db))
    assert "'P-2'" in out and "add_patient" not in out and "()" not in out
