"""Training-loop throughput and memory: `audiolang.train.Trainer` steps/s and peak RSS.

Grid: batch size x mixed precision (fp32 "no" vs "bf16" autocast) x torch threads. Each configuration runs in a
fresh process (so its peak RSS is its own and its thread count is set before torch starts), trains --warmup-steps
untimed steps, then --steps timed optimiser steps on a fresh model. --rounds rounds run every configuration once each,
interleaved, so that a change in machine load hits all configurations alike; the median over rounds is reported,
with the range, the process's peak RSS, and the RSS right after the model and data were built (so "training adds
X MB" can be read off). Ratios measured in the
same run: bf16/fp32 and 2-thread/1-thread steps/s, and batch 64 vs 16 samples/s.

The model comes from MODELS: "toy" is the trainer notebook's `ToyPairModel` on `ToyPairDataset`; adding a real
model (e.g. the CLAP defaults) is one more factory function returning (model, dataset, info).

    python benchmarks/bench_train.py                # full grid, 2000 steps x 3 rounds per configuration
    python benchmarks/bench_train.py --quick        # smoke size, seconds
    python benchmarks/bench_train.py --batch-sizes 64 --precisions no,bf16 --threads 2 --steps 300
"""
from __future__ import annotations
import argparse, itertools, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl                                       # noqa: E402

NAME = "train"


def toy_factory(cfg: dict):
    "The trainer notebook's toy dual encoder (two MLP towers, InfoNCE) on a seeded toy pair dataset."
    from audiolang.train import ToyPairDataset, ToyPairModel
    model = ToyPairModel(hidden=cfg.get("hidden", 64))
    data = ToyPairDataset(cfg["dataset_size"], seed=cfg["seed"] + 1)
    return model, data, {"model": "ToyPairModel", "hidden": cfg.get("hidden", 64), "dataset": "ToyPairDataset",
                         "dataset_size": len(data)}


# The clap_esc50 experiment's default model (nbs/experiments/clap_esc50.ipynb): keep these two in step.
CLAP_ESC50_DEFAULTS = dict(audio_tower="whisper-tiny.en", text_tower="minilm", projection="msclap", projection_dim=384, loss="info_nce",
                           bridge_residual=True, distill="kl", distill_weight=1.0, pseudo_captions="mix",
                           feature_cache_size=20_000)


def clap_factory(cfg: dict):
    "AudiolangClap with the clap_esc50 defaults on the ESC-50 training folds (1, 2, 3, 5) of the shared data."
    from audiolang.clap import AudiolangClap, AudiolangClapConfig
    from audiolang.manifest import collate_audio, esc50_manifest_rows
    rows = [r for r in esc50_manifest_rows() if r["split"] == "train"][: cfg["dataset_size"]]
    model = AudiolangClap(AudiolangClapConfig(**CLAP_ESC50_DEFAULTS))
    data = model.dataset(rows, train=True)
    return model, data, {"model": "AudiolangClap", "clap_config": CLAP_ESC50_DEFAULTS, "dataset": "esc50 folds 1,2,3,5",
                         "dataset_size": len(data), "collate_fn": collate_audio}


MODELS = {"toy": toy_factory, "clap": clap_factory}


def run_config(cfg: dict) -> dict:
    "One (model, batch size, precision, threads) configuration; runs inside its own process."
    bl.configure_threads(cfg["threads"], cfg["omp_wait_policy"])
    import json, warnings
    import torch
    torch.set_num_threads(cfg["threads"])
    try: torch.set_num_interop_threads(1)
    except RuntimeError: pass                                 # already set in this process (--no-isolate)
    from audiolang.core import seed_everything
    from audiolang.train import TrainConfig, Trainer, resolve_mixed_precision
    seed_everything(cfg["seed"])
    model, data, info = MODELS[cfg["model"]](cfg)
    rss_before, load_start = bl.peak_rss_mb(), bl.load_average()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolved = resolve_mixed_precision(cfg["precision"], "cpu")
    with tempfile.TemporaryDirectory(prefix="bench-train-") as td:
        def fit(steps: int, name: str) -> tuple[dict, float]:
            tc = TrainConfig(seed=cfg["seed"], max_steps=steps, batch_size=cfg["batch_size"], lr=1e-3,
                             mixed_precision=cfg["precision"], log_every=steps, save_every=None,
                             tensorboard=False, progress_bar=False, out_dir=str(Path(td) / name))
            t0 = time.perf_counter()
            summary = Trainer(model, data, tc, collate_fn=info.get("collate_fn")).fit()
            return summary, time.perf_counter() - t0
        if cfg["warmup_steps"]: fit(cfg["warmup_steps"], "warmup")     # one-time costs (autocast, allocator) not timed
        model, data, _ = MODELS[cfg["model"]](cfg)                         # a fresh model for the timed run
        s, wall = fit(cfg["steps"], "timed")
        log = [json.loads(line) for line in (Path(td) / "timed" / "train_log.jsonl").read_text().splitlines()]
    info = {k: v for k, v in info.items() if k != "collate_fn"}
    return {"model": cfg["model"], **info, "batch_size": cfg["batch_size"], "precision": cfg["precision"],
            "precision_resolved": resolved, "precision_used": s["mixed_precision"],
            "precision_warnings": [str(w.message) for w in caught],
            "threads": cfg["threads"], "torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
            "steps": cfg["steps"], "num_parameters": sum(p.numel() for p in model.parameters()),
            "steps_per_s": s["steps_per_s"], "samples_per_s": s["samples_per_s"], "train_time_s": s["train_time_s"],
            "fit_wall_s": wall, "final_loss": [r for r in log if r["kind"] == "train"][-1]["loss"],
            "rss_after_setup_mb": rss_before, "peak_rss_mb": bl.peak_rss_mb(),
            "load_average_start": load_start, "load_average_end": bl.load_average()}


def combine(rounds: list[dict]) -> dict:
    "One configuration's result over rounds: medians of the speeds, the largest peak RSS, every round kept."
    first = rounds[0]
    keep = {k: v for k, v in first.items() if k not in ("steps_per_s", "samples_per_s", "train_time_s", "fit_wall_s",
                                                        "final_loss", "rss_after_setup_mb", "peak_rss_mb",
                                                        "load_average_start", "load_average_end")}
    sps = [r["steps_per_s"] for r in rounds]
    return {**keep, "rounds": len(rounds), "steps_per_s": bl.median(sps),
            "samples_per_s": bl.median([r["samples_per_s"] for r in rounds]), "ms_per_step": 1e3 / bl.median(sps),
            "steps_per_s_min": min(sps), "steps_per_s_max": max(sps),
            "rss_after_setup_mb": max(r["rss_after_setup_mb"] for r in rounds),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rounds),
            "runs": [{k: r[k] for k in ("steps_per_s", "samples_per_s", "train_time_s", "fit_wall_s", "final_loss",
                                        "peak_rss_mb", "load_average_start", "load_average_end")} for r in rounds]}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke size: 20 steps, 1 round, in this process")
    p.add_argument("--out", default=None, help="folder for the JSON (default runs/bench/)")
    p.add_argument("--model", default="toy", choices=sorted(MODELS))
    p.add_argument("--batch-sizes", default="16,64")
    p.add_argument("--precisions", default="no,bf16", help="TrainConfig.mixed_precision values ('no' = fp32)")
    p.add_argument("--threads", default="1,2", help="torch threads to compare")
    p.add_argument("--steps", type=int, default=2000, help="optimiser steps per timed run")
    p.add_argument("--warmup-steps", type=int, default=50, help="untimed steps first, in the same process")
    p.add_argument("--rounds", type=int, default=3,
                   help="each round runs every configuration once (order rotated per round); the median over rounds counts")
    p.add_argument("--dataset-size", type=int, default=4096)
    p.add_argument("--hidden", type=int, default=64, help="toy model: hidden width of each tower")
    p.add_argument("--omp-wait-policy", default="PASSIVE", help="OMP_WAIT_POLICY ('' leaves it alone)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--isolate", action=argparse.BooleanOptionalAction, default=None,
                   help="one fresh process per configuration (default; --quick defaults to --no-isolate, where peak RSS "
                        "accumulates over configurations and torch is imported once)")
    if p.parse_args(argv).quick:
        p.set_defaults(steps=20, warmup_steps=5, rounds=1, dataset_size=512, isolate=False)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    a = parse_args(argv)
    if a.isolate is None: a.isolate = True
    threads_env = bl.configure_threads(max(bl.parse_list(a.threads)), a.omp_wait_policy or None)
    t_start = time.perf_counter()
    machine = bl.machine_info()
    grid = list(itertools.product(bl.parse_list(a.batch_sizes), a.precisions.split(","), bl.parse_list(a.threads)))
    per_config: dict[tuple, list[dict]] = {g: [] for g in grid}
    for rnd in range(a.rounds):          # interleaved, so a change in machine load hits every configuration alike
        for b, prec, th in grid[rnd % len(grid):] + grid[:rnd % len(grid)]:
            cfg = dict(model=a.model, batch_size=b, precision=prec, threads=th, steps=a.steps, warmup_steps=a.warmup_steps,
                       dataset_size=a.dataset_size, hidden=a.hidden, seed=a.seed, omp_wait_policy=a.omp_wait_policy or None)
            r = bl.run_isolated(__file__, cfg) if a.isolate else run_config(cfg)
            per_config[(b, prec, th)].append(r)
            print(f"[train] round {rnd + 1}/{a.rounds} {a.model} batch {b:>3} {prec:>4} ({r['precision_used']}) {th} thread(s): "
                  f"{r['steps_per_s']:7.1f} steps/s {r['samples_per_s']:8.0f} samples/s  peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
    results = [combine(per_config[g]) for g in grid]
    print("[train] medians over rounds:")
    for r in results:
        print(f"  batch {r['batch_size']:>3} {r['precision']:>4} {r['threads']} thread(s): {r['steps_per_s']:7.1f} steps/s "
              f"(range {r['steps_per_s_min']:.0f}-{r['steps_per_s_max']:.0f}) {r['samples_per_s']:8.0f} samples/s  "
              f"peak RSS {r['peak_rss_mb']:.0f} MB")

    def get(b, prec, th):
        return next((r for r in results if (r["batch_size"], r["precision"], r["threads"]) == (b, prec, th)), None)
    ratios = []
    for r in results:
        b, prec, th = r["batch_size"], r["precision"], r["threads"]
        if prec != "no" and get(b, "no", th):
            ratios.append({"ratio": f"{prec}/fp32 steps_per_s", "batch_size": b, "threads": th,
                           "value": r["steps_per_s"] / get(b, "no", th)["steps_per_s"]})
        if th != 1 and get(b, prec, 1):
            ratios.append({"ratio": f"{th}threads/1thread steps_per_s", "batch_size": b, "precision": prec,
                           "value": r["steps_per_s"] / get(b, prec, 1)["steps_per_s"]})
    sizes = sorted({r["batch_size"] for r in results})
    for lo, hi in zip(sizes, sizes[1:]):
        for prec, th in {(r["precision"], r["threads"]) for r in results}:
            if get(lo, prec, th) and get(hi, prec, th):
                ratios.append({"ratio": f"batch{hi}/batch{lo} samples_per_s", "precision": prec, "threads": th,
                               "value": get(hi, prec, th)["samples_per_s"] / get(lo, prec, th)["samples_per_s"]})
    payload = {"args": vars(a), "machine": machine,
               "threads": {"torch": bl.parse_list(a.threads), "interop": 1, "env": threads_env},
               "isolated": a.isolate, "results": results, "ratios": ratios, "total_seconds": time.perf_counter() - t_start,
               "notes": ["steps_per_s is Trainer's summary value (loop time without evaluation/checkpoints), median over rounds",
                         "peak_rss_mb is the whole worker process's high-water mark (torch import included)",
                         "bf16 on CPU: torch.autocast(bfloat16) around the forward pass via accelerate"]}
    path = bl.write_result(NAME, payload, a.out, a.quick)
    for q in ratios: print(f"  {q['ratio']:<32} " + ", ".join(f"{k}={v}" for k, v in q.items() if k not in ("ratio", "value")) + f": {q['value']:.2f}")
    print(f"[train] wrote {path} ({payload['total_seconds']:.0f} s)")
    return payload


if __name__ == "__main__":
    if not bl.worker_main(sys.argv, run_config): main()
