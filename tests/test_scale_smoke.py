"""Smoke test of the scale benchmark (``python -m eval.scale``) at 10 k passages.

The larger sizes (100 k, 1 M) are run by hand, their numbers go to docs/SCALING.md; here
only that the benchmark runs through the real index code and gives sane values, with the
IVF threshold lowered so the approximate path (and its measured recall) is exercised.
"""

from __future__ import annotations

import pytest

from eval.scale import HEADER, run, table_row
from index.retrievers import RECALL_TARGET

pytestmark = pytest.mark.slow


def test_scale_benchmark_at_10k(tmp_path):
    r = run(10_000, tmp_path / "index", ivf_threshold=5_000, queries=16)
    assert r["passages"] == 10_000 and 20_000 < r["sentences"] < 40_000
    assert r["kind"] == "ivf"
    for params in (r["dense_params"], r["sentence_dense_params"]):
        assert params["recall_at_10"] >= RECALL_TARGET and params["nprobe"] >= 4
    assert 0 < r["build_s"] < 300 and 0 < r["open_s"] < 60
    assert 50 < r["peak_rss_mb"] < 4000
    assert 0 < r["inputs_rss_mb"] <= r["peak_anon_mb"] <= r["peak_rss_mb"]
    # 10 k + ~30 k vectors of 384 float32 in .npy (61 MB) and as 8-bit IVF codes (15 MB)
    # dominate the disk use.
    assert 80 < r["disk_mb"] < 400
    for mode in ("bm25_ms", "dense_ms", "hybrid_ms"):
        assert 0 < r[mode] < 2000, mode
    row = table_row(r)
    assert row.count("|") == HEADER.count("|") and row.startswith("| 10000 |")
