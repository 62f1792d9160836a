"""Produce reference numbers from pyActigraphy on its own bundled Actiwatch recordings.

Run in a throwaway venv, never in the project's .venv:
    python3 -m venv /tmp/pyact && /tmp/pyact/bin/pip install --no-deps pyActigraphy accelerometer
    /tmp/pyact/bin/pip install "pandas<2.2" "numpy<2" scipy statsmodels lmfit joblib numba \
        pyexcel pyexcel-ods3 pyexcel-xlsx spm1d stochastic plotly tqdm imbalanced-learn scikit-learn
    /tmp/pyact/bin/python tests/companion/reference/make_reference.py
Writes pyactigraphy_reference.json next to this file. The recordings themselves stay in
pyActigraphy's wheel (GPL-3); the tests read them from there (pyactigraphy_data.py).
"""

import json
import os
from pathlib import Path

import pyActigraphy

HERE = Path(__file__).parent
DATA = Path(pyActigraphy.__file__).parent / "tests" / "data"


def main():
    out = {"pyActigraphy": pyActigraphy.__version__, "recordings": {}}
    for n in range(1, 6):
        raw = pyActigraphy.io.read_raw_awd(str(DATA / f"example_{n:02d}.AWD"))
        data = raw.data
        name = f"example{n:02d}"
        l5_t, _ = pyActigraphy.metrics.metrics._lmx(data, "5h", lowest=True)
        m10_t, _ = pyActigraphy.metrics.metrics._lmx(data, "10h", lowest=False)
        out["recordings"][name] = {
            "freq_s": int(raw.frequency.total_seconds()),
            "n": int(len(data)),
            "IS": float(raw.IS(freq="1h", binarize=False)),
            "IV": float(raw.IV(freq="1h", binarize=False)),
            "IS_bin4": float(raw.IS(freq="1h", binarize=True, threshold=4)),
            "IV_bin4": float(raw.IV(freq="1h", binarize=True, threshold=4)),
            "L5": float(raw.L5(binarize=False)),
            "M10": float(raw.M10(binarize=False)),
            "RA": float(raw.RA(binarize=False)),
            "L5_onset_min": l5_t.total_seconds() / 60,
            "M10_onset_min": m10_t.total_seconds() / 60,
            "CK_mean": "".join(
                str(int(v)) for v in raw.CK(settings="mean", rescoring=False).values
            ),
            "Sadeh": "".join(str(int(v)) for v in raw.Sadeh().values),
        }
        shown = {k: v for k, v in out["recordings"][name].items() if k not in ("CK_mean", "Sadeh")}
        print(name, shown)
    (HERE / "pyactigraphy_reference.json").write_text(json.dumps(out, indent=1) + os.linesep)


if __name__ == "__main__":
    main()
