"""benchmarks/bench_projection.py runs at smoke size (--quick) and writes well-formed JSON (shape only, no speed asserts)."""
from __future__ import annotations
import pytest
from test_benchmarks import run_bench, check_common


def test_bench_projection(tmp_path):
    rec = run_bench("bench_projection.py", tmp_path)
    check_common(rec, "projection")
    assert rec["goal"]["speedup"] == 50.0 and "synthetic" in rec
    assert [r["n"] for r in rec["projection"]] == [2000, 5000]
    for r in rec["projection"]:
        assert r["outputs_match"] is True and r["max_abs_diff"] < 1e-4
        for mode in ("loop", "batched"):
            run = r[mode]
            assert run["mode"] == mode and run["n"] == r["n"] and run["seconds"] > 0 and run["peak_rss_mb"] > 0
        assert r["loop"]["queries"] == rec["args"]["loop_queries"] and r["batched"]["queries"] == rec["args"]["queries"]
        assert r["speedup_per_query"] == pytest.approx(r["loop"]["ms_per_query"] / r["batched"]["ms_per_query"], rel=1e-3)
        assert r["chunk_mb"] > 0 and r["logits_mb"] > 0
    ds = rec["datastore"]
    assert ds["n"] == 5000 and ds["synthetic"] is True and [k["kind"] for k in ds["kinds"]] == ["flat", "ivfpq"]
    for k in ds["kinds"]:
        assert k["build_seconds"] > 0 and k["batch_search_ms_per_query"] > 0 and 0 <= k["top1_recall"] <= 1
        assert 0 <= k["window_frac_no_candidate"] <= 1
    assert {"n", "speedup_per_query", "outputs_match", "batched_peak_rss_mb", "loop_peak_rss_mb"} <= set(rec["summary"][0])
