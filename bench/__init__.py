"""`make bench`: every benchmark, one module per area, results in bench/results.json and
bench/RESULTS.md (see docs/bench.md)."""
