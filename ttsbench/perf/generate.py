"""`ttsbench perf generate` and `ttsbench perf exact`: generation speed and exactness, measured in one run.

`perf generate` gives each engine's frames per second at each batch size against transformers'
`generate()` and against the device's limit — the bytes of weights one frame reads (the family
counts them) over the memory bandwidth measured by a device-to-device copy — with the capture (or
compile) time of each shape, the codec's share of a request, peak memory, and an estimate of a
csm1b.yaml-sized bench. `perf exact` checks that the engines make the same greedy codes, and that a
seed makes a sampled request reproducible.

Timings depend on the machine; the ratios are what to compare. Nothing here is a test.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

# what a csm1b.yaml-sized bench generates: 4 variants × 20 prompts × 3 seeds of about 5 s each
BENCH_SAMPLES, BENCH_SECONDS = 4 * 20 * 3, 5.0


def batch_sizes(text: str) -> list[int]:
    from ttsbench.core.errors import UserError

    try:
        sizes = [int(b) for b in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise UserError(f"--batch-sizes {text!r}: give positive integers separated by commas, e.g. 1,8,16")
    return sizes


#: engine name → GenerationOptions; the baseline first. On CUDA `fast` replays a captured graph per frame and
#: `eager` launches the same step's kernels one by one; off CUDA the two are the same, and `compiled` is Inductor.
ENGINES = {
    "transformers": {"engine": "transformers"},
    "eager": {"engine": "fast", "cuda_graphs": False},
    "fast": {"engine": "fast"},
    "compiled": {"engine": "fast", "compile": True},
}


def default_engines(device: str) -> list[str]:
    return ["transformers", "eager", "fast"] if device.startswith("cuda") else ["transformers", "fast", "compiled"]


def engine_names(text: str) -> list[str]:
    from ttsbench.core.errors import UserError

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if not names or unknown:
        raise UserError(f"--engines {text!r}: choose from {', '.join(ENGINES)} (comma-separated)")
    return [n for n in ENGINES if n in names]  # the baseline first


def copy_bandwidth(device: str, megabytes: int | None = None) -> float:
    """Bytes per second a device-to-device copy moves, reading and writing counted (best of 5)."""
    import torch

    cuda = str(device).startswith("cuda")
    n = (megabytes or (2048 if cuda else 256)) * 2**20
    a = torch.empty(n, dtype=torch.uint8, device=device)
    b = torch.empty_like(a)
    best = float("inf")
    for _ in range(6):
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        b.copy_(a)
        if cuda:
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return 2 * n / best


def perf_generate(
    base: str | None, batch_sizes: list[int], seconds: float, device: str, engines: list[str] | None = None
) -> int:
    """Frames and audio-seconds per wall-second of each engine at each batch size, each ÷ transformers and
    against the bandwidth limit (see the module doc).

    Without `--base`: a tiny random CSM, which is overhead-bound on a CPU as CSM-1B is on a GPU at
    small batch. Each shape's first batch runs untimed: its seconds (capturing a graph, compiling) are shown.
    """
    from ttsbench.models.device import resolve_device
    from ttsbench.models.families.csm import build_tiny_csm
    from ttsbench.models.model import checkpoint_label

    device = resolve_device(device)
    engines = engines or default_engines(device)
    with tempfile.TemporaryDirectory() as tmp:
        base = base or str(build_tiny_csm(Path(tmp) / "tiny-csm", seed=0))
        label = checkpoint_label(base)
        rates = {engine: generation_rates(base, batch_sizes, seconds, device, **ENGINES[engine]) for engine in engines}
    bandwidth = copy_bandwidth(device)
    first = rates[engines[0]][0]
    per_frame = first["weight_bytes_per_frame"]
    print(
        f"perf generate — {base}" + (f" [{label}]" if label else "") + f"; device {first['device']}; "
        f"every row to its {seconds:g} s cap (a random model never ends by itself)"
    )
    print(
        f"bandwidth limit: {per_frame / 1e9:.3g} GB of weights read per frame ({first['dtype']}) over "
        f"{bandwidth / 1e12:.3g} TB/s measured (device-to-device copy) = {bandwidth / per_frame:.1f} frames/s "
        "per batch step (× batch rows, while reading weights is all the time)"
    )
    print(
        "frames/s: the decode loop alone; audio-s/s: the whole request; first s: the untimed first batch (capture, "
        "compile); codec %: decoding's share of a request; limit %: frames/s over the bandwidth limit"
    )
    print(
        f"{'batch':>5} {'engine':<13} {'frames/s':>9} {'audio-s/s':>10} {'wall s':>8} {'first s':>8} "
        f"{'capture s':>9} {'codec %':>8} {'limit %':>8} {'peak GiB':>9}"
    )
    for k, b in enumerate(batch_sizes):
        for engine in engines:
            r = rates[engine][k]
            limit = b * bandwidth / per_frame
            print(
                f"{b:>5} {engine:<13} {r['frames_per_second']:>9.1f} {r['audio_seconds_per_second']:>10.2f} "
                f"{r['wall_seconds']:>8.2f} {r['first_seconds']:>8.2f} {r['capture_seconds']:>9.2f} "
                f"{100 * r['decode_share']:>8.1f} {100 * r['frames_per_second'] / limit:>8.3g} "
                f"{r['peak_gib'] if r['peak_gib'] is not None else '—':>9}"
            )
        if "transformers" not in rates:
            continue
        slow = rates["transformers"][k]
        for engine in engines[1:]:
            r = rates[engine][k]
            print(
                f"{b:>5} {engine} ÷ transformers: loop {r['frames_per_second'] / slow['frames_per_second']:.1f}×, "
                f"whole request {r['audio_seconds_per_second'] / slow['audio_seconds_per_second']:.1f}×"
            )
    best = max(
        (r for e in engines if e != "transformers" for r in rates[e]), key=lambda r: r["audio_seconds_per_second"]
    )
    total = BENCH_SAMPLES * BENCH_SECONDS
    print(
        f"a csm1b.yaml-sized bench ({BENCH_SAMPLES} samples of ~{BENCH_SECONDS:g} s = {total / 60:.0f} min of audio) "
        f"would generate in about {total / best['audio_seconds_per_second']:.0f} s at batch {best['batch']} "
        f"({best['engine']}; estimated from the rates above)"
    )
    return 0


def generation_rates(
    base: str,
    batch_sizes: list[int],
    seconds: float,
    device: str,
    engine: str = "fast",
    compile: bool = False,
    cuda_graphs: bool = True,
) -> list[dict]:
    """Each batch size's rates, each row capped at `seconds` (see `perf_generate`).

    A random model never emits the end-of-audio frame, so every row runs to the cap: the timing
    is pure generation. `frames_per_second` counts the decode loop's time alone (the family's
    "codes" phase), `audio_seconds_per_second` the whole request (codec decoding included).
    """
    from ttsbench.benchmark.plan import GenerationOptions, ModelSpec
    from ttsbench.benchmark.synth import Request, load_synth
    from ttsbench.models.families import family_of

    fam = family_of(base)
    options = GenerationOptions(engine=engine, compile=compile, cuda_graphs=cuda_graphs)
    synth = load_synth(ModelSpec(fam.name, str(base), device), None, options)
    torch = synth._torch
    cuda = torch.cuda.is_available() and str(synth.device).startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    weights = fam.weights_per_frame(synth.net)
    dtype = next(synth.net.parameters()).dtype
    text = "The quick brown fox jumps over the lazy dog near the river bank."
    rates = []
    for b in batch_sizes:
        # one seed, b prompts: the synthesizer batches rows of the same seed (as a bench's prompts are)
        requests = [Request(f"{text} Take {k + 1}.", 0, seconds) for k in range(b)]
        synth.family.timing = {}
        t = time.perf_counter()
        synth.generate(requests)  # this shape once untimed: first-use costs (capture, compile, allocator)
        sync()
        first, capture = time.perf_counter() - t, synth.family.timing.get("capture", 0.0)
        synth.family.timing = {}
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        t = time.perf_counter()
        out = synth.generate(requests)
        sync()
        wall = time.perf_counter() - t
        audio = sum(len(g.audio) for g in out if g.audio is not None) / synth.sample_rate
        timing, synth.family.timing = synth.family.timing, None
        codes_s = timing.get("codes", wall)
        rates.append(
            {
                "batch": b,
                "engine": options.engine_id,
                "audio_seconds": round(audio, 2),
                "wall_seconds": round(wall, 3),
                "first_seconds": round(first, 2),
                "capture_seconds": round(capture, 2),
                "decode_share": round(timing.get("decode", 0.0) / wall, 3),
                "audio_seconds_per_second": round(audio / wall, 3),
                "codes_seconds": round(codes_s, 3),
                "frames_per_second": round(audio * fam.frame_rate / codes_s, 1),
                "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
                "weight_bytes_per_frame": weights * dtype.itemsize,
                "dtype": str(dtype).removeprefix("torch."),
                "ran_to_cap": sum(not g.stopped for g in out),
                "failed": sum(g.error is not None for g in out),
                "device": str(synth.device),
            }
        )
    return rates


def perf_exact(base: str | None, device: str, frames: int = 40) -> int:
    """Greedy codes of every engine against transformers' `generate()` at batch 1 and for a left-padded batch
    of 4 with a cloning context; and on CUDA, that a seed makes a sampled request reproducible (the same
    seed twice: the same codes; another seed: others). Exit 1 when anything differs."""
    import numpy as np
    import torch

    from ttsbench.models.device import resolve_device
    from ttsbench.models.families import Context, Request, family_of
    from ttsbench.models.families.csm import Csm, conversation_for, fast_generate
    from ttsbench.models.families.csm import build_tiny_csm
    from ttsbench.models.model import checkpoint_label

    device = resolve_device(device)
    cuda = device.startswith("cuda")
    with tempfile.TemporaryDirectory() as tmp:
        base = base or str(build_tiny_csm(Path(tmp) / "tiny-csm", seed=0))
        fam = family_of(base)
        if not isinstance(fam, Csm):
            print(f"perf exact: {fam.name} has no engine of its own to check against transformers; nothing to do")
            return 0
        model, processor = fam.load(base, device)
    print(
        f"perf exact — {base} [{checkpoint_label(base) or 'real weights'}]; device {device}; "
        f"{next(model.parameters()).dtype}; greedy, {frames} frames"
    )
    context = (Context(np.random.default_rng(0).normal(0, 0.1, 24000).astype(np.float32), "reference words"),)
    cases = {
        "batch 1": [Request("The quick brown fox jumps over the lazy dog.", 0, 4)],
        "left-padded batch 4, cloning": [
            Request("Hello there.", 0, 4),
            Request("A much longer sentence to say, with a comma.", 0, 4, context=context),
            Request("Hi.", 0, 4),
            Request("Numbers: one two three four.", 0, 4),
        ],
    }
    ok = True
    for name, requests in cases.items():
        inputs = processor.apply_chat_template([conversation_for(r) for r in requests], tokenize=True, return_dict=True)
        inputs = {k: v.to(device) for k, v in inputs.items()}
        caps = [frames] * len(requests)
        with torch.inference_mode():
            found = {
                "transformers": model.generate(**inputs, max_new_tokens=frames, do_sample=False)[:, :frames],
                "eager": fast_generate(model, inputs, caps, {}, sample=False, graphs=False),
            }
            if cuda:
                found["captured"] = fast_generate(model, inputs, caps, {}, sample=False, graphs=True)
        for engine, codes in found.items():
            if engine == "transformers":
                continue
            same = torch.equal(codes, found["transformers"])
            first = (
                ""
                if same
                else f" (first differing frame {int((codes != found['transformers']).any(-1).any(0).nonzero()[0, 0])})"
            )
            ok &= same
            print(f"{name}: {engine} vs transformers: {'identical' if same else 'DIFFERENT'}{first}")
    if cuda:
        inputs = processor.apply_chat_template([conversation_for(cases["batch 1"][0])], tokenize=True, return_dict=True)
        inputs = {k: v.to(device) for k, v in inputs.items()}

        def sampled(seed):
            torch.manual_seed(seed)
            with torch.inference_mode():
                return fast_generate(model, inputs, [frames], dict(Csm.generation), graphs=True)

        again, other = torch.equal(sampled(1), sampled(1)), not torch.equal(sampled(1), sampled(2))
        ok &= again and other
        print(
            f"sampled, captured: seed 1 twice {'the same' if again else 'DIFFERENT'}; seeds 1 and 2 "
            f"{'differ' if other else 'THE SAME'}"
        )
    print("all identical" if ok else "DIFFERENCES FOUND")
    return 0 if ok else 1
