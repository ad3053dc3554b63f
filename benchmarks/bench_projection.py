"""DRCap projection-based decoding and the caption datastore at scale.

Projection decoding E' = softmax(E_a S^T / tau) S (`audiolang.drcap.project_to_support`) over a support S of M text
embeddings, streamed over chunks of S with a running log-sum-exp, against a per-item Python loop (one query at a time,
full softmax over S held in memory). Both run on the same queries; the outputs are checked to agree (max abs diff).
The support is SYNTHETIC: seeded random unit vectors (dimension 384, MiniLM's), written to a raw float32 file and read
chunk by chunk, so the batched path never holds S in memory. Embedding real captions at 1M (or 450k) is far too slow on
this CPU; the real corpora set the quality, not the speed. Each configuration runs in a fresh process, so its peak RSS
is its own: the batched path's memory is bounded by the chunk size, the loop's grows with M.

Datastore: `audiolang.drcap.CaptionDatastore` (an `EmbeddingIndex`, "auto" = flat below 100k, IVF-PQ above) over
450k synthetic unit vectors standing in for caption embeddings (with synthetic caption texts as payload): build time
and search latency (batched queries and single queries) for flat and IVF-PQ, plus the training-time window search
(n_candidates neighbours, then S_min < s < S_max).

    python benchmarks/bench_projection.py                # supports 10k, 100k, 1M; datastore 450k
    python benchmarks/bench_projection.py --quick        # smoke size
    python benchmarks/bench_projection.py --sizes 10000,100000 --chunk-size 32768
"""
from __future__ import annotations
import argparse, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl                                       # noqa: E402

NAME = "projection"


class RawSupport:
    "A [M, D] float32 matrix in a raw file, read chunk by chunk (no memory map: resident memory stays one chunk)."
    def __init__(self, path: str, n: int, dim: int):
        self.path, self.shape = path, (n, dim)
    def __getitem__(self, sl: slice):
        import numpy as np
        start, stop, _ = sl.indices(self.shape[0])
        with open(self.path, "rb") as f:
            f.seek(start * self.shape[1] * 4)
            return np.fromfile(f, dtype=np.float32, count=(stop - start) * self.shape[1]).reshape(-1, self.shape[1])


def unit_vectors(n: int, dim: int, seed: int):
    import numpy as np
    x = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def write_support(path: Path, n: int, dim: int, seed: int, block: int = 100_000) -> None:
    "Seeded unit vectors, written in blocks so that writing never holds the whole support."
    with open(path, "wb") as f:
        for i, s in enumerate(range(0, n, block)):
            unit_vectors(min(block, n - s), dim, seed * 1000 + i).tofile(f)


def work(cfg: dict) -> dict:
    "One configuration in a fresh process: 'batched' (streamed chunks) or 'loop' (per item, S in memory)."
    bl.configure_threads(cfg["threads"], cfg["omp_wait_policy"] or None)
    import numpy as np, torch
    torch.set_num_threads(cfg["threads"])
    from audiolang.drcap import project_to_support, project_loop
    q = torch.from_numpy(np.load(cfg["queries"]))
    if cfg["mode"] == "batched":
        support = RawSupport(cfg["support"], cfg["n"], cfg["dim"])
        fn = lambda: project_to_support(q, support, cfg["tau"], chunk_size=cfg["chunk_size"], query_batch=cfg["query_batch"])
    else:
        support = torch.from_numpy(np.fromfile(cfg["support"], dtype=np.float32).reshape(cfg["n"], cfg["dim"]))
        q = q[:cfg["loop_queries"]]
        fn = lambda: project_loop(q, support, cfg["tau"])
    best, all_s, out = bl.timed(fn, cfg["repeats"], budget_s=cfg["budget_s"])
    np.save(cfg["result"], out.numpy())
    return {"mode": cfg["mode"], "n": cfg["n"], "queries": len(q), "seconds": best, "all_seconds": all_s,
            "ms_per_query": 1e3 * best / len(q), "peak_rss_mb": bl.peak_rss_mb()}


def bench_datastore(a) -> dict:
    import numpy as np
    from audiolang.drcap import CaptionDatastore
    from audiolang.index import faiss_threads
    x = unit_vectors(a.datastore_n, a.dim, a.seed + 7)
    texts = [f"synthetic caption {i}" for i in range(a.datastore_n)]
    q = x[np.random.default_rng(a.seed).choice(a.datastore_n, a.search_queries, replace=False)]
    q = q + 0.5 * unit_vectors(a.search_queries, a.dim, a.seed + 8)          # queries near (not on) stored vectors
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    out = {"n": a.datastore_n, "dim": a.dim, "synthetic": True, "queries": a.search_queries, "kinds": []}
    for kind in ("flat", "ivfpq"):
        t0 = time.perf_counter(); store = CaptionDatastore.build(texts, x, kind=kind); build_s = time.perf_counter() - t0
        with faiss_threads(a.threads):
            batch_s, _, _ = bl.timed(lambda: store.search(q, a.k), a.repeats)
            single_s, _, _ = bl.timed(lambda: [store.search(q[i], a.k) for i in range(min(50, len(q)))], a.repeats)
            win_s, _, cands = bl.timed(lambda: store.window_candidates(q, None, a.s_min, a.s_max, a.n_candidates), 1)
        exact = (q @ x.T).argmax(1)
        _, idx = store.search(q, 1)
        out["kinds"].append({"kind": kind, "build_seconds": build_s, "batch_search_ms_per_query": 1e3 * batch_s / len(q),
                             "single_query_ms": 1e3 * single_s / min(50, len(q)), "window_search_ms_per_query": 1e3 * win_s / len(q),
                             "window_frac_no_candidate": float(np.mean([len(c) == 0 for c in cands])),
                             "top1_recall": float(np.mean(idx[:, 0] == exact)), "nprobe": store.index.nprobe or 0})
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke size: supports 2k/5k, datastore 5k, 1 repeat")
    p.add_argument("--out", default=None, help="folder for the JSON (default runs/bench/)")
    p.add_argument("--sizes", default="10000,100000,1000000", help="support sizes M")
    p.add_argument("--dim", type=int, default=384, help="embedding dimension (MiniLM's 384)")
    p.add_argument("--queries", type=int, default=256, help="audio embeddings projected by the batched path")
    p.add_argument("--loop-queries", type=int, default=32, help="of those, how many the per-item loop projects (it is slow)")
    p.add_argument("--query-batch", type=int, default=256, help="queries per batch of the streamed projection")
    p.add_argument("--chunk-size", type=int, default=65536, help="support rows per chunk")
    p.add_argument("--tau", type=float, default=0.07)
    p.add_argument("--datastore-n", type=int, default=450_000, help="synthetic caption embeddings in the datastore")
    p.add_argument("--search-queries", type=int, default=1000)
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--n-candidates", type=int, default=32)
    p.add_argument("--s-min", type=float, default=0.75)
    p.add_argument("--s-max", type=float, default=0.85)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--omp-wait-policy", default="PASSIVE")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    if p.parse_args(argv).quick:
        p.set_defaults(sizes="2000,5000", queries=16, loop_queries=4, query_batch=8, chunk_size=1024, datastore_n=5000,
                       search_queries=50, repeats=1)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    a = parse_args(argv)
    threads_env = bl.configure_threads(a.threads, a.omp_wait_policy or None)
    import numpy as np
    t_start = time.perf_counter()
    machine = bl.machine_info()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-projection-") as td:
        td = Path(td)
        qpath = td / "queries.npy"; np.save(qpath, unit_vectors(a.queries, a.dim, a.seed + 1))
        for n in bl.parse_list(a.sizes):
            spath = td / f"support_{n}.f32"
            t0 = time.perf_counter(); write_support(spath, n, a.dim, a.seed); write_s = time.perf_counter() - t0
            base = dict(support=str(spath), n=n, dim=a.dim, queries=str(qpath), tau=a.tau, chunk_size=a.chunk_size, query_batch=a.query_batch,
                        loop_queries=a.loop_queries, threads=a.threads, omp_wait_policy=a.omp_wait_policy, repeats=a.repeats, budget_s=60.0)
            runs = {}
            for mode in ("loop", "batched"):
                runs[mode] = bl.run_isolated(__file__, dict(base, mode=mode, result=str(td / f"{mode}_{n}.npy")))
            diff = float(np.abs(np.load(td / f"loop_{n}.npy") - np.load(td / f"batched_{n}.npy")[:a.loop_queries]).max())
            spath.unlink()
            results.append({"n": n, "support_mb": n * a.dim * 4 / 2**20, "write_support_seconds": write_s, "loop": runs["loop"], "batched": runs["batched"],
                            "speedup_per_query": runs["loop"]["ms_per_query"] / runs["batched"]["ms_per_query"],
                            "max_abs_diff": diff, "outputs_match": diff < 1e-4,
                            "chunk_mb": min(a.chunk_size, n) * a.dim * 4 / 2**20,
                            "logits_mb": min(a.query_batch, a.queries) * min(a.chunk_size, n) * 4 / 2**20})
            r = results[-1]
            print(f"[projection] M={n}: loop {r['loop']['ms_per_query']:.2f} ms/query ({r['loop']['peak_rss_mb']:.0f} MB), "
                  f"batched {r['batched']['ms_per_query']:.2f} ms/query ({r['batched']['peak_rss_mb']:.0f} MB); "
                  f"x{r['speedup_per_query']:.1f}; max diff {diff:.1e}", flush=True)
    datastore = bench_datastore(a)
    for kd in datastore["kinds"]:
        print(f"[projection] datastore {datastore['n']} ({kd['kind']}): build {kd['build_seconds']:.1f} s, "
              f"{kd['batch_search_ms_per_query']:.3f} ms/query batched, {kd['single_query_ms']:.2f} ms single, top-1 recall {kd['top1_recall']:.3f}")
    payload = {"args": vars(a), "machine": machine, "threads": {"torch": a.threads, "env": threads_env},
               "synthetic": "support and datastore are seeded random unit vectors (real caption embedding at this scale is too slow on CPU)",
               "goal": {"speedup": 50.0, "memory": "bounded by chunk size"},
               "projection": results, "datastore": datastore,
               "summary": [{"n": r["n"], "speedup_per_query": r["speedup_per_query"], "outputs_match": r["outputs_match"],
                            "batched_peak_rss_mb": r["batched"]["peak_rss_mb"], "loop_peak_rss_mb": r["loop"]["peak_rss_mb"]} for r in results],
               "peak_rss_mb": bl.peak_rss_mb(), "total_seconds": time.perf_counter() - t_start}
    path = bl.write_result(NAME, payload, a.out, a.quick)
    print(f"[projection] wrote {path} ({payload['total_seconds']:.0f} s)")
    return payload


if __name__ == "__main__":
    if not bl.worker_main(sys.argv, work): main()
