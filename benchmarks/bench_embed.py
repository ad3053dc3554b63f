"""Embedding throughput: `AudiolangClap.embed_audio` end to end against the model's forward pass alone.

`embed_audio(paths)` decodes each file, resamples, cuts the deterministic evaluation crop, pads a batch, runs the
towers and projections and normalises. The forward pass alone runs `encode_audio` on the SAME crops, already decoded
and padded into batches in memory. The ratio end-to-end time / forward time is what the library's own plumbing
(I/O, batching, bookkeeping) costs on top of the network; goal: <= 1.3. Also measured for text: `embed_text` against
`encode_text` on pre-batched strings.

Files: all ESC-50 clips of the shared data (5 s, 16 kHz); without shared data (or --synthetic), seeded synthetic FLACs.
Methods are timed round-robin (end-to-end, forward, end-to-end, ...), so load changes hit both alike; fastest pass counts.
Outputs are checked to be identical (the forward pass must reproduce `embed_audio`'s embeddings).

    python benchmarks/bench_embed.py                       # whisper-tiny.en and aisfx towers, all ESC-50 clips
    python benchmarks/bench_embed.py --quick               # 16 clips, whisper-tiny.en, 1 pass
    python benchmarks/bench_embed.py --towers aisfx --files 200
"""
from __future__ import annotations
import argparse, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl                                       # noqa: E402
from bench_audio_io import find_files                        # noqa: E402  (ESC-50 clips, else synthetic FLACs)

NAME = "embed"
GOAL = 1.3


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke size: 16 files, whisper-tiny.en, 1 pass")
    p.add_argument("--out", default=None, help="folder for the JSON (default runs/bench/)")
    p.add_argument("--files", type=int, default=0, help="use the first N files (0 = all ESC-50 clips, or 200 synthetic)")
    p.add_argument("--synthetic", action="store_true", help="use synthesised FLAC files even when the shared data exists")
    p.add_argument("--towers", default="whisper-tiny.en,aisfx", help="audio towers (AudiolangClapConfig.audio_tower)")
    p.add_argument("--text-tower", default="minilm")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--omp-wait-policy", default="PASSIVE", help="OMP_WAIT_POLICY ('' leaves it alone)")
    p.add_argument("--repeats", type=int, default=2, help="timed passes of each method, interleaved; the fastest counts")
    p.add_argument("--seed", type=int, default=0)
    if p.parse_args(argv).quick:
        p.set_defaults(files=16, repeats=1, towers="whisper-tiny.en")
    return p.parse_args(argv)


def measure_tower(tower: str, a, files: list[Path]) -> dict:
    import torch
    from audiolang.clap import AudiolangClap, AudiolangClapConfig, eval_segments, load_clip, pad_clips
    from audiolang.core import seed_everything
    seed_everything(a.seed)
    t0 = time.perf_counter()
    model = AudiolangClap(AudiolangClapConfig(audio_tower=tower, text_tower=a.text_tower)).eval()
    build_s = time.perf_counter() - t0
    c = model.config
    # the same crops embed_audio makes, decoded once, in the same longest-first batches
    segments = [s for i, f in enumerate(files) for s in eval_segments(load_clip(str(f), c.sr, i), c.sr, c.clip_seconds,
                                                                       c.eval_mode, c.chunk_hop_seconds, c.min_chunk_seconds)]
    assert len(segments) == len(files), "the benchmark expects one evaluation crop per clip (centre mode)"
    order = sorted(range(len(segments)), key=lambda k: -len(segments[k]))
    batches = [order[s:s + a.batch_size] for s in range(0, len(order), a.batch_size)]
    padded = [pad_clips([segments[k] for k in idx]) for idx in batches]
    paths = [str(f) for f in files]

    def end_to_end():
        return model.embed_audio(paths, batch_size=a.batch_size)

    def forward_only():
        out = torch.zeros(len(segments), c.projection_dim)
        with torch.no_grad():
            for idx, (audio, mask) in zip(batches, padded): out[idx] = model.encode_audio(audio, mask).float()
        return torch.nn.functional.normalize(out, dim=-1)

    with torch.no_grad(): model.encode_audio(*pad_clips(segments[:2]))             # warm-up
    res = bl.timed_interleaved({"end_to_end": end_to_end, "forward": forward_only}, a.repeats)
    e2e_s, e2e_all, e2e = res["end_to_end"]
    fwd_s, fwd_all, fwd = res["forward"]
    max_diff = float((e2e - fwd).abs().max())

    texts = [f"the sound of a {w} in a quiet room" for w in ("dog", "car", "bell", "door", "bird", "rain", "clock", "saw")] * 8
    tb = [texts[s:s + 64] for s in range(0, len(texts), 64)]
    def text_e2e(): return model.embed_text(texts, batch_size=64)
    def text_fwd():
        with torch.no_grad(): return torch.cat([model.encode_text(b).float() for b in tb])
    with torch.no_grad(): model.encode_text(texts[:2])
    tres = bl.timed_interleaved({"end_to_end": text_e2e, "forward": text_fwd}, a.repeats)
    return {"tower": tower, "text_tower": a.text_tower, "build_seconds": build_s, "clips": len(files),
            "batch_size": a.batch_size,
            "end_to_end": {"seconds": e2e_s, "all_seconds": e2e_all, "clips_per_s": len(files) / e2e_s},
            "forward": {"seconds": fwd_s, "all_seconds": fwd_all, "clips_per_s": len(files) / fwd_s},
            "ratio_end_to_end_over_forward": e2e_s / fwd_s, "goal_met": e2e_s / fwd_s <= GOAL,
            "max_abs_diff_end_to_end_vs_forward": max_diff,
            "text": {"texts": len(texts), "end_to_end_seconds": tres["end_to_end"][0], "forward_seconds": tres["forward"][0],
                     "ratio_end_to_end_over_forward": tres["end_to_end"][0] / tres["forward"][0]}}


def main(argv=None) -> dict:
    a = parse_args(argv)
    threads_env = bl.configure_threads(a.threads, a.omp_wait_policy or None)
    import torch
    torch.set_num_threads(a.threads)
    t_start = time.perf_counter()
    machine = bl.machine_info()
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as td:
        files, source = find_files(a, Path(td))
        for f in files: f.read_bytes()                                   # warm the page cache
        results = []
        for tower in bl.parse_list(a.towers, str):
            r = measure_tower(tower, a, files)
            results.append(r)
            print(f"[embed] {tower}: embed_audio {r['end_to_end']['clips_per_s']:.1f} clips/s, forward alone "
                  f"{r['forward']['clips_per_s']:.1f} clips/s, ratio {r['ratio_end_to_end_over_forward']:.3f} "
                  f"(goal <= {GOAL}); max |diff| {r['max_abs_diff_end_to_end_vs_forward']:.2e}", flush=True)
    payload = {"args": vars(a), "machine": machine, "goal": {"ratio_end_to_end_over_forward_max": GOAL},
               "threads": {"torch": a.threads, "torch_effective": torch.get_num_threads(), "env": threads_env},
               "data": {"source": source, "files": len(files)}, "results": results,
               "peak_rss_mb": bl.peak_rss_mb(), "total_seconds": time.perf_counter() - t_start}
    path = bl.write_result(NAME, payload, a.out, a.quick)
    print(f"[embed] wrote {path}")
    return payload


if __name__ == "__main__":
    main()
