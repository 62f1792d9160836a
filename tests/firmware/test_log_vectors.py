"""Golden vectors of the flash log v2 on CPython (the MicroPython targets run
mp_test_log_vectors.py): the firmware writes their bytes exactly and reads them back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).parent
VECTORS = HERE.parents[1] / "shared" / "vectors" / "log_v2.json"


@pytest.fixture()
def mod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("mp_test_log_vectors",
                                                  HERE / "mp_test_log_vectors.py")
    assert spec and spec.loader
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    monkeypatch.setattr(m, "VECTORS", str(VECTORS))
    monkeypatch.setattr(m, "fresh", lambda root=str(tmp_path / "v"): _fresh(m, root))
    return m


def _fresh(m, root: str) -> str:  # type: ignore[no-untyped-def]
    m._n[0] += 1
    d = Path(root + str(m._n[0]))
    d.mkdir(parents=True, exist_ok=True)
    return str(d)


def test_writing_gives_the_vector_bytes(mod) -> None:  # type: ignore[no-untyped-def]
    mod.test_writing_gives_the_vector_bytes()


def test_vector_bytes_read_back_as_the_records(mod) -> None:  # type: ignore[no-untyped-def]
    mod.test_vector_bytes_read_back_as_the_records()


def test_vectors_cover_coded_and_raw_chunks() -> None:
    import json

    cases = json.loads(VECTORS.read_text())["cases"]
    first_bytes = {bytes.fromhex(h)[0] for c in cases for h in c["segments"].values()}
    assert first_bytes == {0xC5, 0xC6}  # v1-raw fallback and v2-coded chunks both pinned
