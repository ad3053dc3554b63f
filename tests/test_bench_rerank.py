"""benchmarks/bench_rerank.py runs at smoke size (tiny LLM, tiny k and N) and writes well-formed JSON (no speed asserts)."""
from __future__ import annotations
import json, math, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _numbers(x, path="$"):
    if isinstance(x, dict):
        for k, v in x.items(): yield from _numbers(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x): yield from _numbers(v, f"{path}[{i}]")
    elif isinstance(x, (int, float)) and not isinstance(x, bool): yield path, x


def test_bench_rerank_json_shape(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_rerank.py"), "--quick", "--out", str(tmp_path),
                        "--ks", "2,3", "--corpus-sizes", "500,1000", "--clips", "3", "--queries", "1", "--threads", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"bench_rerank.py failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    assert "wrote" in r.stdout
    files = list(tmp_path.glob("*.quick.json"))
    assert len(files) == 1, files
    rec = json.loads(files[0].read_text())
    assert rec["benchmark"] == "rerank" and rec["quick"] is True and rec["threads"] and rec["total_seconds"] > 0
    assert {"torch", "faiss-cpu"} <= set(rec["machine"]["versions"]) and "commit" in rec["machine"]["git"]
    assert [row["n"] for row in rec["first_stage"]] == [500, 1000]
    assert sorted({(row["k"], row["direction"]) for row in rec["rerank"]}) == [(2, "a2t"), (2, "t2a"), (3, "a2t"), (3, "t2a")]
    for row in rec["rerank"]:
        assert row["seconds_per_query"] > 0
        assert row["audio_encodes_per_query"] == (1 if row["direction"] == "a2t" else row["k"])   # a2t: the query clip once
    assert {"aurola", "clap", "clap_over_aurola_audio"} <= set(rec["embedding"])
    assert rec["embedding"]["aurola"]["clips_per_s"] > 0 and rec["embedding"]["clap"]["captions_per_s"] > 0
    assert set(rec["summary"]) >= {"rerank_growth_largest_over_smallest_k", "first_stage_growth_largest_over_smallest_n"}
    found = list(_numbers(rec))
    assert found and all(math.isfinite(v) for _, v in found)
