"""The benchmark scripts run at smoke size (--quick) and write well-formed JSON.

Speed is never asserted here (benchmarks/ measures it; a loaded machine must not fail a test): only that each
script finishes, records its machine and thread settings, and that every number it wrote is finite."""
from __future__ import annotations
import json, math, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def run_bench(script: str, out: Path, *extra: str) -> dict:
    r = subprocess.run([sys.executable, str(BENCH / script), "--quick", "--out", str(out), *extra],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{script} failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    files = list(out.glob("*.quick.json"))
    assert len(files) == 1, files
    assert "wrote" in r.stdout                        # the short summary was printed
    return json.loads(files[0].read_text())


def numbers(x, path="$"):
    "Every (json-path, number) in a JSON value."
    if isinstance(x, dict):
        for k, v in x.items(): yield from numbers(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x): yield from numbers(v, f"{path}[{i}]")
    elif isinstance(x, (int, float)) and not isinstance(x, bool): yield path, x


def check_common(rec: dict, name: str):
    assert rec["benchmark"] == name and rec["quick"] is True
    m = rec["machine"]
    assert m["cpu_count"] >= 1 and {"torch", "faiss-cpu", "numpy"} <= set(m["versions"]) and "commit" in m["git"]
    assert rec["threads"] and rec["total_seconds"] > 0
    found = list(numbers(rec))
    assert found and all(math.isfinite(v) for _, v in found), [p for p, v in found if not math.isfinite(v)]


def test_bench_faiss(tmp_path):
    rec = run_bench("bench_faiss.py", tmp_path)
    check_common(rec, "faiss")
    assert rec["threads"]["faiss_omp"] >= 1 and rec["goal"] == {"recall_at_k": 0.95, "speedup": 20.0, "k": 10}
    assert {(r["dataset"], r["n"]) for r in rec["results"]} == {("random", 20000), ("clustered", 20000)}
    for r in rec["results"]:
        assert r["faiss_omp_threads"] == rec["threads"]["faiss_omp"] and r["peak_rss_mb"] > 0
        assert r["exact"]["search_seconds"] > 0 and r["ivfpq_build_seconds"] > 0
        assert r["sweep"] and {"ivfpq", "ivfpq+refine16"} <= {s["method"] for s in r["sweep"]}
        for s in r["sweep"]:
            assert 0 <= s["recall_at_k"] <= 1 and s["speedup"] > 0
            assert s["speedup"] == pytest.approx(r["exact"]["search_seconds"] / s["search_seconds"], rel=1e-3)
        assert r["best_at_target"] is None or r["best_at_target"]["recall_at_k"] >= 0.95
    assert {"dataset", "n", "best_speedup_at_target_recall", "max_recall", "goal_met"} <= set(rec["summary"][0])


def test_bench_train(tmp_path):
    rec = run_bench("bench_train.py", tmp_path)
    check_common(rec, "train")
    grid = {(r["batch_size"], r["precision"], r["threads"]) for r in rec["results"]}
    assert grid == {(b, p, t) for b in (16, 64) for p in ("no", "bf16") for t in (1, 2)}
    for r in rec["results"]:
        assert r["steps_per_s"] > 0 and r["samples_per_s"] > 0 and r["peak_rss_mb"] > 0 and r["torch_threads"] == r["threads"]
        assert r["precision_used"] in ("no", "bf16")
    kinds = {q["ratio"] for q in rec["ratios"]}
    assert {"bf16/fp32 steps_per_s", "2threads/1thread steps_per_s", "batch64/batch16 samples_per_s"} <= kinds
    assert all(q["value"] > 0 for q in rec["ratios"])


@pytest.mark.parametrize("synthetic", [False, True])
def test_bench_audio_io(tmp_path, synthetic):
    from audiolang.core import shared_data_dir
    if not synthetic and shared_data_dir() is None:
        pytest.skip("../shared/data is absent (a fresh clone has no development data); the synthetic case still runs")
    rec = run_bench("bench_audio_io.py", tmp_path, *(["--synthetic", "--files", "8"] if synthetic else []))
    check_common(rec, "audio_io")
    assert rec["data"]["source"] == ("synthetic" if synthetic else "esc50") and rec["data"]["files"] == (8 if synthetic else 20)
    d = rec["decode"]
    for k in ("soundfile", "load_audio", "load_audio_resampled"): assert d[k]["clips_per_s"] > 0
    assert d["ratios"]["load_audio_over_soundfile_time"] > 0 and d["max_abs_diff_load_audio_vs_soundfile"] < 1e-6
    m = rec["mel"]
    assert [b["batch_size"] for b in m["batched"]] == [4, 8] and all(v > 0 for v in m["ratios"]["per_clip_over_batched_time"].values())
    assert m["max_abs_diff_batched_vs_per_clip"] < 1e-3
    assert rec["threads"]["torch_effective"] == rec["threads"]["torch"]


def test_bench_build(tmp_path):
    rec = run_bench("bench_build.py", tmp_path, "--sizes", "20,40", "--llm-clips", "2")
    res = rec["results"]
    assert [r["clips"] for r in res["scaling"]] == [20, 40] and all(r["built"] > 0 for r in res["scaling"])
    assert set(res["linear_fit"]) == {"intercept_s", "seconds_per_clip", "r2"}
    assert res["captioner"]["on"]["clips"] == 2 and res["captioner"]["on_over_off_seconds"] > 0
    check_common(rec, "build")


def test_bench_embed(tmp_path):
    rec = run_bench("bench_embed.py", tmp_path)
    check_common(rec, "embed")
    assert rec["goal"] == {"ratio_end_to_end_over_forward_max": 1.3} and rec["data"]["files"] == 16
    (r,) = rec["results"]
    assert r["tower"] == "whisper-tiny.en" and r["clips"] == 16
    assert r["ratio_end_to_end_over_forward"] == pytest.approx(r["end_to_end"]["seconds"] / r["forward"]["seconds"], rel=1e-3)
    assert r["max_abs_diff_end_to_end_vs_forward"] < 1e-5      # the forward pass reproduces embed_audio exactly
    assert r["text"]["ratio_end_to_end_over_forward"] > 0
