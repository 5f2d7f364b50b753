"""`ttsbench perf served`: a served row's throughput against the local speech server, in one run.

- samples per second at concurrency 1, 4 and 16, each against one request at a time, for a server that
  answers at once (`instant`: what is left is the harness's own cost per request) and for one that
  synthesises (`hibari`, in this same process: on a small CPU machine the server, not the harness, is
  what limits it);
- the harness's overhead per request (the `instant` model at concurrency 1);
- a bench of a served row: generation's and scoring's share of the wall time (Whisper tiny.en and the
  signal checks), so that scoring is seen not to be what makes a served bench slow — or seen to be.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

PROMPTS = [
    "Good evening, everyone.",
    "Is that really the last one?",
    "Send the draft to Margaret Chen before Thursday.",
    "How long would it take to walk across the whole city?",
]


def _spec(url: str, model: str, concurrency: int):
    from ttsbench.benchmark.plan import ServedSpec

    return ServedSpec(url, model, concurrency=concurrency, retries=0)


def throughput(url: str, model: str, concurrency: int, requests: int) -> float:
    """Samples per second for `requests` answers at `concurrency`."""
    from ttsbench.benchmark.synth.served import ServedSynth
    from ttsbench.models.families import Request

    synth = ServedSynth(_spec(url, model, concurrency), "perf")
    batch = [Request(PROMPTS[k % len(PROMPTS)], k, 30.0) for k in range(requests)]
    start = time.perf_counter()
    out = synth.generate(batch)
    took = time.perf_counter() - start
    failed = [g.error for g in out if g.error]
    if failed:
        raise RuntimeError(f"perf served: {len(failed)} requests failed, e.g. {failed[0]}")
    return requests / took


def perf_served(requests: int = 32) -> int:
    from ttsbench.perf.speech_server import start

    server, _ = start(0)
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        print(f"served row against the local speech server ({requests} requests per point)")
        print(f"{'model':<8} {'concurrency':>11} {'samples/s':>10} {'÷ one at a time':>16}")
        for model in ("instant", "hibari"):
            throughput(url, model, 1, 2)  # warm: the voice loaded, the connection path taken once
            base = throughput(url, model, 1, requests)
            for concurrency in (1, 4, 16):
                rate = base if concurrency == 1 else throughput(url, model, concurrency, requests)
                print(f"{model:<8} {concurrency:>11} {rate:>10.1f} {rate / base:>15.2f}×")
            if model == "instant":
                print(f"harness overhead per request (instant answers, one at a time): {1000 / base:.1f} ms")
        gen, score = bench_shares(url)
        total = gen + score
        print(
            f"a served bench ({len(PROMPTS)} prompts × 2 seeds, hibari): generation {gen:.1f} s, "
            f"scoring {score:.1f} s (Whisper tiny.en + signal) — scoring is {100 * score / total:.0f} % of the wall "
            "time"
        )
    finally:
        server.shutdown()
    return 0


def bench_shares(url: str) -> tuple[float, float]:
    """(seconds generating, seconds scoring) of one served row's bench: first with the cheap signal checks
    only (generation's time), then the same run directory scored with Whisper (scoring's time)."""
    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.suite import from_mapping

    with tempfile.TemporaryDirectory() as tmp:
        suite = {
            "name": "perf-served",
            "variants": [],
            "anchors": [],
            "seeds": 2,
            "prompts": PROMPTS,
            "rows": {"hibari": {"served": {"url": url, "model": "hibari"}}},
            "out": str(Path(tmp) / "run"),
        }
        start = time.perf_counter()
        run_suite(from_mapping({**suite, "scorers": {"signal": {}}}), progress=False)
        generated = time.perf_counter()
        run_suite(from_mapping({**suite, "scorers": {"signal": {}, "wer": {"asr": "tiny.en"}}}), progress=False)
        return generated - start, time.perf_counter() - generated
