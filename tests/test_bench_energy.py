"""bench/energy.py: the battery model runs on the firmware's measured duty cycle, and its
figures move the way the settings say they should (no speed asserted)."""

from __future__ import annotations

import pytest

from bench import energy
from wlfw.recordlog import CRC_SIZE, HDR_SIZE

RADIOS = [(1.0, 3.0, 3.0), (1.0, 1.0, 3.0)]


@pytest.fixture(scope="module")
def duties() -> dict[int, energy.Duty]:
    return {w: energy.measure(w, RADIOS, hours=2) for w in (1000, 5000)}


def test_duty_cycle_is_counted_from_the_firmware(duties: dict[int, energy.Duty]) -> None:
    for wake_ms, d in duties.items():
        assert d.seconds == pytest.approx(7200, abs=1)
        # one main-loop wake per wake_ms, plus a few short ones for button patterns
        assert 7200_000 / wake_ms <= d.wakes <= 7200_000 / wake_ms * 1.2 + 200
        assert d.epochs == 240 and d.samples == 240 * 750
        # every chunk written has its header and CRC, and every record (v2: coded) at
        # least one byte of it
        assert d.chunk_writes > 0
        assert d.flash_bytes >= d.chunk_writes * (HDR_SIZE + CRC_SIZE) + d.epochs
    d = duties[1000]
    # the window at boot and the scheduled one at 60 min (plus any after a press):
    # at least 6 min with 3-min windows, at least 2 min with 1-min windows
    assert d.radio_ms[RADIOS[0]] >= 6 * 60_000
    assert 2 * 60_000 <= d.radio_ms[RADIOS[1]] < d.radio_ms[RADIOS[0]]


def test_figures_respond_to_the_settings(duties: dict[int, energy.Duty]) -> None:
    m5 = energy.BOARDS["m5stickc_plus2"]
    fast = energy.estimate(m5, duties[1000], energy.Settings(1000, *RADIOS[0]))
    slow = energy.estimate(m5, duties[5000], energy.Settings(5000, *RADIOS[0]))
    short = energy.estimate(m5, duties[5000], energy.Settings(5000, *RADIOS[1]))
    wakes = "wakes (FIFO read, features, log)"
    assert slow["parts_ma"][wakes] < fast["parts_ma"][wakes]
    assert short["parts_ma"]["radio windows"] < slow["parts_ma"]["radio windows"]
    assert fast["days"] < slow["days"] < short["days"]
    for r in (fast, slow, short):
        assert r["total_ma"] == pytest.approx(sum(r["parts_ma"].values()))
        assert r["days"] == pytest.approx(m5.battery_mah * energy.USABLE / r["total_ma"] / 24)
    bigger = energy.Board(**{**m5.__dict__, "battery_mah": 400})
    assert energy.estimate(bigger, duties[5000], energy.Settings(5000, *RADIOS[0]))[
        "days"] == pytest.approx(2 * slow["days"])


def test_assumptions_are_printed_beside_the_result(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(energy, "WAKES", (5000,))
    monkeypatch.setattr(energy, "RADIOS", ((3.0, 3.0, 3.0),))
    assert energy.main(["--hours", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "Assumptions:" in out and "ESP32 Series Datasheet" in out
    for b in energy.BOARDS.values():
        assert b.name in out
    assert "days" in out and "mA" in out
