"""`ttsbench perf session --out DIR`: the GPU figures docs/benchmarks.md lacks, as one command of minutes.

Steps in priority order, each a `ttsbench` command in its own process under its own time limit, so a
slow or failing step costs only itself; each step's output goes to `DIR/<step>.log` as it comes and
`DIR/session.md` collects them with their exit codes and seconds. On CUDA the models are random ones
of CSM-1B's and Orpheus-3B's configurations (the real ones' compute); `--device cpu` is the dry run on
the tiny models — every step, under a minute — that the tests run, so the script keeps working between
GPU runs.

    ttsbench perf session --out runs/session               # on the GPU machine
    ttsbench perf session --out runs/session --device cpu  # here: every step, tiny models
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def steps(out: Path, device: str) -> list[tuple[str, int, list[str]]]:
    """(name, seconds allowed, ttsbench arguments), in the order they matter."""
    gpu = device.startswith("cuda")
    csm, orpheus = out / "models" / "csm", out / "models" / "orpheus"
    seconds = "4" if gpu else "0.5"
    sizes = "1,16" if gpu else "1,2"
    return [
        ("build-csm", 150, ["tiny-model", "--family", "csm", "--size", "1b" if gpu else "tiny", "--out", str(csm)]),
        ("csm-exact", 90, ["perf", "exact", "--base", str(csm), "--device", device]),
        (
            "csm-speed",
            150,
            [
                "perf",
                "generate",
                "--base",
                str(csm),
                "--engines",
                "transformers,eager,fast",
                "--batch-sizes",
                sizes,
                "--seconds",
                seconds,
                "--device",
                device,
            ],
        ),
        (
            "build-orpheus",
            150,
            ["tiny-model", "--family", "orpheus", "--size", "3b" if gpu else "tiny", "--out", str(orpheus)],
        ),
        (
            "orpheus-speed",
            120,
            [
                "perf",
                "generate",
                "--base",
                str(orpheus),
                "--engines",
                "transformers,eager,fast",
                "--batch-sizes",
                sizes,
                "--seconds",
                seconds,
                "--device",
                device,
            ],
        ),
    ]


def session(out: str | Path, device: str = "cuda") -> int:
    """Run every step (see the module doc); exit 0 when all of them did."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    report = [f"# perf session — {device}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", ""]
    failed = 0
    for name, limit, args in steps(out, device):
        log = out / f"{name}.log"
        started = time.perf_counter()
        print(f"== {name} (at most {limit} s): ttsbench {' '.join(args)}", flush=True)
        with open(log, "w") as f:
            try:
                code = subprocess.run(
                    [sys.executable, "-m", "ttsbench.cli", *args],
                    stdout=f,
                    stderr=subprocess.STDOUT,
                    env=env,
                    timeout=limit,
                ).returncode
            except subprocess.TimeoutExpired:
                code = "timed out"
        took = time.perf_counter() - started
        failed += code != 0
        text = log.read_text()
        print(text, flush=True)
        print(f"== {name}: exit {code} after {took:.0f} s", flush=True)
        report += [
            f"## {name}: exit {code}, {took:.0f} s",
            "",
            "```",
            f"$ ttsbench {' '.join(args)}",
            text.rstrip(),
            "```",
            "",
        ]
        (out / "session.md").write_text("\n".join(report) + "\n")
    return 1 if failed else 0
