"""Where the time of two-stage retrieval goes: first-stage search vs MLLM re-ranking, and audio-LLM vs CLAP embedding.

Three measurements, in one process (the models are loaded once):
  1. first stage: `EmbeddingIndex` (flat, exact) top-k search latency per query against corpus size N (random unit
     vectors of width --dim, the composed audio-LLM's hidden size); grows with N;
  2. re-ranking: `audiolang.rerank.MLLMReranker` latency per query against k (the shortlist length), both directions:
     audio->text (the query clip encoded once, paired with k captions) and text->audio (k candidate clips encoded,
     the audio-token cache cleared before each query, i.e. the cold worst case); grows with k, not with N;
  3. embedding throughput (clips/s, captions/s) of the AuroLA embedder (`audiolang.aurola`, prompt + hidden state
     before <emb>) against CLAP (`audiolang.clap.AudiolangClap`, Whisper tiny.en + MiniLM towers) on the same clips.

The default audio-LLM is the composed Whisper tiny.en -> projector -> SmolLM2-135M (`--llm composed`); `--llm tiny`
swaps SmolLM2 for a tiny random Llama (same tokenizer), for smoke tests. Weights are untrained: latency does not depend
on them.

    python benchmarks/bench_rerank.py                  # full: k = 10, 20, 50; N = 1e3, 1e4, 1e5 (~5-10 min on 2 cores)
    python benchmarks/bench_rerank.py --quick          # smoke size (tiny LLM), under a minute
    python benchmarks/bench_rerank.py --ks 10,20 --corpus-sizes 1000,100000 --clips 32
"""
from __future__ import annotations
import argparse, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl                                       # noqa: E402

NAME = "rerank"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke size: tiny LLM, small k and N")
    p.add_argument("--out", default=None, help="output folder (default runs/bench/)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--omp-wait-policy", default="PASSIVE")
    p.add_argument("--llm", choices=("composed", "tiny"), default=None, help="audio-LLM (default: composed; tiny with --quick)")
    p.add_argument("--ks", default=None, help="shortlist lengths, e.g. 10,20,50")
    p.add_argument("--queries", type=int, default=None, help="re-ranked queries per (k, direction)")
    p.add_argument("--corpus-sizes", default=None, help="first-stage corpus sizes, e.g. 1000,10000,100000")
    p.add_argument("--search-queries", type=int, default=200, help="queries per first-stage search timing")
    p.add_argument("--dim", type=int, default=576, help="embedding width of the first-stage corpus")
    p.add_argument("--clips", type=int, default=None, help="clips (and captions) for the embedding-throughput comparison")
    p.add_argument("--clip-seconds", type=float, default=5.0)
    p.add_argument("--batch-size", type=int, default=8, help="pairs per re-ranker batch and clips per embedding batch")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    a.llm = a.llm or ("tiny" if a.quick else "composed")
    a.ks = bl.parse_list(a.ks or ("2,4" if a.quick else "10,20,50"))
    a.queries = a.queries or (1 if a.quick else 3)
    a.corpus_sizes = bl.parse_list(a.corpus_sizes or ("1000,5000" if a.quick else "1000,10000,100000"))
    a.clips = a.clips or (4 if a.quick else 32)
    if a.quick: a.search_queries = min(a.search_queries, 20)
    return a


def build_llm(kind: str, seed: int):
    "The composed audio-LLM, or the same with a tiny random Llama in place of SmolLM2 (--llm tiny)."
    import torch
    from audiolang.audio_llm import AudioLLMConfig, ComposedAudioLLM
    torch.manual_seed(seed)
    cfg = AudioLLMConfig(n_audio_tokens=8, system_prompt="")
    if kind == "composed": return ComposedAudioLLM(cfg)
    from transformers import LlamaConfig, LlamaForCausalLM
    from audiolang.pretrained import load_smollm2, load_whisper_encoder
    tok, _ = load_smollm2(progress=False)
    lm = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)).eval()
    return ComposedAudioLLM(cfg, audio_encoder=load_whisper_encoder(), llm=lm, tokenizer=tok)


def clips_and_captions(n: int, seconds: float, seed: int):
    "n synthetic clips (tones + noise, distinct per clip) and n short captions."
    import numpy as np
    g = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    clips = [(0.3 * np.sin(2 * np.pi * (110 + 37 * i) * t) + 0.05 * g.standard_normal(len(t))).astype(np.float32) for i in range(n)]
    words = ["dog barking", "rain on a roof", "a car passing", "birds singing", "a door closing", "keyboard typing",
             "a church bell", "footsteps on gravel", "a crying baby", "wind blowing"]
    caps = [f"{words[i % len(words)]} in a quiet room, take {i}" for i in range(n)]
    return clips, caps


def first_stage(args) -> list[dict]:
    import numpy as np
    from audiolang.index import EmbeddingIndex, faiss_threads
    rows = []
    with faiss_threads(args.threads):
        for n in args.corpus_sizes:
            g = np.random.default_rng([args.seed, n])
            x = g.standard_normal((n + args.search_queries, args.dim), dtype=np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            t0 = time.perf_counter(); index = EmbeddingIndex.build(x[:n], kind="flat", normalize=False); build_s = time.perf_counter() - t0
            q = np.ascontiguousarray(x[n:])
            k = min(max(args.ks), n)
            batched, _, _ = bl.timed(lambda: index.search(q, k), 3, budget_s=5)
            single, _, _ = bl.timed(lambda: [index.search(q[i:i + 1], k) for i in range(min(20, len(q)))], 2, budget_s=5)
            rows.append({"n": n, "dim": args.dim, "k": k, "build_seconds": build_s,
                         "ms_per_query_batched": 1e3 * batched / len(q), "ms_per_query_single": 1e3 * single / min(20, len(q))})
            print(f"first stage N={n:>7}: {rows[-1]['ms_per_query_single']:.3f} ms/query (one at a time), "
                  f"{rows[-1]['ms_per_query_batched']:.4f} ms/query batched")
    return rows


def rerank_latency(args, llm, clips, caps) -> list[dict]:
    import numpy as np
    from audiolang.rerank import MLLMReranker
    rr = MLLMReranker(llm, batch_size=args.batch_size)
    rows = []
    rr.score_shortlists("a2t", clips[:1], caps, [[0]])               # warm-up (allocations, first tokenizer calls)
    for k in args.ks:
        k = min(k, len(caps))
        for direction in ("a2t", "t2a"):
            times, encodes = [], []
            for q in range(args.queries):
                rr.clear_cache(); llm.clear_frame_cache(); n0 = rr.n_audio_encoded
                cand = [[(q + j) % len(caps) for j in range(k)]]
                t0 = time.perf_counter()
                if direction == "a2t": rr.score_shortlists("a2t", [clips[q % len(clips)]], caps, cand)
                else: rr.score_shortlists("t2a", [caps[q % len(caps)]], clips, cand)
                times.append(time.perf_counter() - t0); encodes.append(rr.n_audio_encoded - n0)
            s = min(times)
            rows.append({"k": k, "direction": direction, "seconds_per_query": s, "ms_per_pair": 1e3 * s / k,
                         "all_seconds": [round(t, 4) for t in times], "audio_encodes_per_query": float(np.mean(encodes))})
            print(f"re-rank {direction} k={k:>3}: {s:.2f} s/query ({1e3 * s / k:.0f} ms/pair, {np.mean(encodes):.0f} clips encoded)")
    return rows


def embedding_throughput(args, llm, clips, caps) -> dict:
    import torch
    from audiolang.aurola import AurolaConfig, AurolaEmbedder
    from audiolang.clap import AudiolangClap, AudiolangClapConfig
    aurola = AurolaEmbedder(AurolaConfig(lora_rank=0), llm).eval()
    clap = AudiolangClap(AudiolangClapConfig(clip_seconds=args.clip_seconds)).eval()
    out = {}
    for name, model in (("aurola", aurola), ("clap", clap)):
        if hasattr(llm, "clear_frame_cache"): llm.clear_frame_cache()
        with torch.no_grad():
            model.embed_audio(clips[:2], batch_size=args.batch_size); model.embed_text(caps[:2])     # warm-up
            if hasattr(llm, "clear_frame_cache"): llm.clear_frame_cache()
            a_s, _, a = bl.timed(lambda: model.embed_audio(clips, batch_size=args.batch_size), 1)
            t_s, _, t = bl.timed(lambda: model.embed_text(caps, batch_size=args.batch_size), 2)
        out[name] = {"clips_per_s": len(clips) / a_s, "captions_per_s": len(caps) / t_s, "audio_seconds": a_s, "text_seconds": t_s,
                     "dim": int(a.shape[1])}
        print(f"{name:7s}: {out[name]['clips_per_s']:.1f} clips/s, {out[name]['captions_per_s']:.1f} captions/s, dim {out[name]['dim']}")
    out["clap_over_aurola_audio"] = bl.ratio(out["clap"]["clips_per_s"], out["aurola"]["clips_per_s"])
    out["clap_over_aurola_text"] = bl.ratio(out["clap"]["captions_per_s"], out["aurola"]["captions_per_s"])
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    threads = bl.configure_threads(args.threads, args.omp_wait_policy or None)
    t_start = time.perf_counter()
    import torch
    torch.set_num_threads(args.threads)
    machine = bl.machine_info()
    fs = first_stage(args)
    t0 = time.perf_counter(); llm = build_llm(args.llm, args.seed); load_s = time.perf_counter() - t0
    n = max(args.clips, max(args.ks))
    clips, caps = clips_and_captions(n, args.clip_seconds, args.seed)
    rr = rerank_latency(args, llm, clips, caps)
    emb = embedding_throughput(args, llm, clips[:args.clips], caps[:args.clips])
    by_k = {r["k"]: r for r in rr if r["direction"] == "a2t"}
    ks = sorted(by_k)
    summary = {"rerank_a2t_seconds_per_query": {str(k): by_k[k]["seconds_per_query"] for k in ks},
               "rerank_growth_largest_over_smallest_k": bl.ratio(by_k[ks[-1]]["seconds_per_query"], by_k[ks[0]]["seconds_per_query"]),
               "first_stage_growth_largest_over_smallest_n": bl.ratio(fs[-1]["ms_per_query_single"], fs[0]["ms_per_query_single"]),
               "rerank_over_first_stage_at_largest": bl.ratio(1e3 * by_k[ks[-1]]["seconds_per_query"], fs[-1]["ms_per_query_single"])}
    payload = {"args": {k: v for k, v in vars(args).items()}, "machine": machine, "threads": threads, "llm_load_seconds": load_s,
               "first_stage": fs, "rerank": rr, "embedding": emb, "summary": summary,
               "total_seconds": time.perf_counter() - t_start}
    path = bl.write_result(NAME, payload, args.out, args.quick)
    print(f"re-ranking cost grows {summary['rerank_growth_largest_over_smallest_k']:.1f}x from k={ks[0]} to k={ks[-1]}; "
          f"first stage {summary['first_stage_growth_largest_over_smallest_n']:.1f}x from N={fs[0]['n']} to N={fs[-1]['n']}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
