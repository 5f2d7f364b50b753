"""`ttsbench perf gpu --out DIR`: the CSM fine-tuning and generation figures of a CUDA GPU, one command.

Points, each measured in its own process (Unsloth patches transformers on import, so it must not
share a process with the PEFT points, and each point's peak memory is its own):

- `tiny/…` and `1b/…` × `unsloth`, `peft`, `peft+gc` (PEFT with gradient checkpointing): LoRA with
  the workshop's settings on micro-batches of 2 clips of 30 s. The tiny CSM checks the path; the
  random model of CSM-1B's configuration costs what the real weights cost. `1b/unsloth` runs the
  workshop's 60 steps, the others `--steps`. Recorded: seconds per micro-batch (median step time
  after the first two steps, over the gradient-accumulation steps), the first step's seconds
  (compilation), peak GPU memory, trainable parameters and the loss at the start and end.
- `1b/generate`, `orpheus3b/generate`: audio-seconds generated per wall-second through our
  synthesizer at each batch size, for each engine (`transformers`, `fast`, `compiled`), on random
  models of CSM-1B's and Orpheus-3B's configurations.

Results go to `DIR/gpu.json` as each point finishes, with `DIR/gpu.md` (the Markdown table);
a re-run measures only the points not done yet (a point whose backend is not installed is
recorded as skipped and tried again next time). The random models and the 30 s clips are built
in code under `DIR`: nothing is downloaded. Every figure is labelled: random models, speed and
memory only.
"""

from __future__ import annotations

import logging
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ttsbench.core.errors import UserError

log = logging.getLogger(__name__)

CLIP_SECONDS = 30.0
TEXT_CHARS = 100  # the tokenizer of the random models has a token per byte; CSM-1B's Llama-3 one
# gives ~100 tokens for the ~80 words of 30 s of speech, so 100 characters keep sequence lengths real
TRAIN_CLIPS, EVAL_CLIPS = 16, 2
WORKSHOP_STEPS = 60
POINTS = (
    "tiny/unsloth",
    "tiny/peft",
    "tiny/peft+gc",
    "1b/unsloth",
    "1b/peft",
    "1b/peft+gc",
    "1b/generate",
    "orpheus3b/generate",
)
LABEL = "random models — speed and memory only"


def perf_gpu(
    out: str | Path,
    points: list[str] | None = None,
    steps: int = 10,
    batch_sizes=(1, 8, 16),
    seconds: float = 10.0,
    device: str = "cuda",
    engines=None,
) -> int:
    """Measure the points not yet in `out/gpu.json`; print and write the table. See the module docstring."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(
            "perf gpu: no CUDA GPU is visible (torch.cuda.is_available() is False); run it on a CUDA "
            "machine — docs/benchmarks.md says how to install Unsloth there offline"
        )
    unknown = set(points or ()) - set(POINTS)
    if unknown:
        raise UserError(f"--points {','.join(sorted(unknown))}: unknown; choose from {','.join(POINTS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    record = read_record(out)
    record.update(machine(device))
    for name in points or POINTS:
        if record["points"].get(name, {}).get("status") == "ok":
            log.info(f"{name}: done earlier")
            continue
        spec = {
            "name": name,
            "device": device,
            "steps": WORKSHOP_STEPS if name == "1b/unsloth" else steps,
            "batch_sizes": list(batch_sizes),
            "seconds": seconds,
            "engines": list(engines or []),
        }
        log.info(f"{name}: measuring …")
        record["points"][name] = run_point(out, spec)
        write_record(out, record)
        log.info(f"{name}: {record['points'][name]['status']} ({record['points'][name].get('wall_seconds', '?')} s)")
    write_record(out, record)
    print(table(record))
    return 0 if all(p.get("status") != "failed" for p in record["points"].values()) else 1


def machine(device: str) -> dict:
    import torch

    from ttsbench.core.versions import package_versions

    gpu = torch.cuda.get_device_name() if device.startswith("cuda") else platform.processor() or "cpu"
    return {
        "device": gpu,
        "date": time.strftime("%Y-%m-%d"),
        "label": LABEL,
        "versions": package_versions(
            "torch", "transformers", "peft", "unsloth", "unsloth_zoo", "bitsandbytes", "trl", "datasets"
        ),
    }


def read_record(out: Path) -> dict:
    path = out / "gpu.json"
    return json.loads(path.read_text()) if path.is_file() else {"points": {}}


def write_record(out: Path, record: dict) -> None:
    tmp = out / "gpu.json.tmp"
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(out / "gpu.json")
    (out / "gpu.md").write_text(table(record) + "\n")


def run_point(out: Path, spec: dict) -> dict:
    """One point in a fresh process; its result, or why it failed or was skipped."""
    spec_path, result_path = out / "point.json", out / "point-result.json"
    result_path.unlink(missing_ok=True)
    spec_path.write_text(json.dumps(spec))
    start = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.perf.gpu", str(out), str(spec_path), str(result_path)],
        capture_output=True,
        text=True,
    )
    (out / "logs").mkdir(exist_ok=True)
    (out / "logs" / (spec["name"].replace("/", "_") + ".log")).write_text(proc.stdout + proc.stderr)
    if result_path.is_file():
        return {**json.loads(result_path.read_text()), "wall_seconds": round(time.time() - start, 1)}
    tail = [line for line in (proc.stderr or proc.stdout).strip().splitlines() if line.strip()][-3:]
    return {"status": "failed", "error": " | ".join(tail)[-600:], "wall_seconds": round(time.time() - start, 1)}


def measure(out: Path, spec: dict) -> dict:
    """Run in the point's own process."""
    size, what = spec["name"].split("/")
    base = models(out, size)
    if what == "generate":
        return generate_point(base, spec)
    backend = "unsloth" if what == "unsloth" else "peft"
    if backend == "unsloth":
        import importlib.util

        if importlib.util.find_spec("unsloth") is None:
            return {"status": "skipped", "error": "unsloth is not installed (pip install 'ttsbench[gpu]')"}
    return train_point(out, base, backend, what == "peft+gc", spec)


#: a point's model → (the family, the size its `build_tiny` makes): random weights in a real configuration
SIZES = {"tiny": ("csm", "tiny"), "1b": ("csm", "1b"), "orpheus3b": ("orpheus", "3b")}


def models(out: Path, size: str) -> Path:
    """The random model of a point (`SIZES`)."""
    from ttsbench.models.families import family

    path = out / "models" / size
    if not (path / "ttsbench.json").is_file():
        shutil.rmtree(path, ignore_errors=True)
        name, built = SIZES[size]
        family(name).build_tiny(path, size=built)
    return path


def voice_data(out: Path) -> Path:
    """16 train and 2 eval clips of 30 s of speech-like sound (harmonics with a syllable rhythm)."""
    import datasets

    from ttsbench.dataprep.audio import wav_bytes
    from ttsbench.dataprep.constants import DATASET_SAMPLE_RATE
    from ttsbench.dataprep.synthvoice import sentences

    path = out / "data"
    if (path / "dataset_info.json").is_file():
        return path
    rng = np.random.default_rng(0)
    text = sentences(0)
    rows = {"audio": [], "text": [], "source": [], "clip_id": [], "split": []}
    n = int(CLIP_SECONDS * DATASET_SAMPLE_RATE)
    t = np.arange(n) / DATASET_SAMPLE_RATE
    for i in range(TRAIN_CLIPS + EVAL_CLIPS):
        f0 = 110 + 40 * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t) + rng.uniform(0, 60)
        phase = 2 * np.pi * np.cumsum(f0) / DATASET_SAMPLE_RATE
        voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
        envelope = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 6)), 0, None) ** 2
        audio = (0.1 * voiced * envelope + 0.005 * rng.standard_normal(n)).astype(np.float32)
        words = ""
        while len(words) < TEXT_CHARS:
            words += next(text) + " "
        rows["audio"].append({"bytes": wav_bytes(audio, DATASET_SAMPLE_RATE), "path": None})
        rows["text"].append(words[:TEXT_CHARS].strip())
        rows["source"].append(0)
        rows["clip_id"].append(f"clip{i:02d}")
        rows["split"].append("train" if i < TRAIN_CLIPS else "eval")
    # audio as a plain {bytes, path} struct: writing datasets' Audio feature needs torchcodec, which a bare
    # CUDA machine lacks; the reader casts it to Audio(decode=False), as it does every voice dataset
    audio = {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}
    features = datasets.Features(
        {
            "audio": audio,
            "text": datasets.Value("string"),
            "source": datasets.Value("int64"),
            "clip_id": datasets.Value("string"),
            "split": datasets.Value("string"),
        }
    )
    datasets.Dataset.from_dict(rows, features=features).save_to_disk(str(path))
    return path


def train_point(out: Path, base: Path, backend: str, checkpointing: bool, spec: dict) -> dict:
    if backend == "unsloth":
        import unsloth  # noqa: F401  (before transformers, or Unsloth applies fewer of its patches)
    import torch
    from transformers import TrainerCallback

    from ttsbench.models.train import FinetuneOptions, finetune

    cuda = spec["device"].startswith("cuda")
    times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if cuda:
                torch.cuda.synchronize()
            self.t = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - self.t)

    options = FinetuneOptions(
        max_steps=spec["steps"],
        backend=backend,
        gradient_checkpointing=checkpointing,
        eval_steps=10**6,
        save_steps=10**6,
        device=spec["device"],
    )
    run_dir = out / "finetune" / spec["name"].replace("/", "_")
    shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run: the cached one would train nothing
    rec = finetune(voice_data(out), str(base), run_dir, options, progress=False, callbacks=[StepTimer()]).record
    losses = rec.losses
    steady = times[2:] or times
    step = statistics.median(steady)
    k = max(1, min(3, len(losses) // 3))  # the mean of the first and last few steps: one step's loss is noisy
    return {
        "status": "ok",
        "backend": rec.backend,
        "gradient_checkpointing": checkpointing or backend == "unsloth",
        "steps": rec.steps,
        "micro_batch": f"{options.per_device_batch_size} × {CLIP_SECONDS:g} s",
        "seconds_per_step": round(step, 4),
        "seconds_per_micro_batch": round(step / options.gradient_accumulation_steps, 4),
        "first_step_seconds": round(times[0], 2) if times else None,
        "peak_memory": rec.peak_memory,
        "trainable_parameters": rec.trainable_parameters,
        "loss_start": round(float(np.mean(losses[:k])), 4),
        "loss_end": round(float(np.mean(losses[-k:])), 4),
        "eval_loss": rec.eval_losses[-1] if rec.eval_losses else None,
        "train_seconds": rec.wall_seconds,
        "label": rec.label,
    }


def generate_point(base: Path, spec: dict) -> dict:
    from .generate import ENGINES, default_engines, generation_rates

    rates = [
        r
        for engine in spec.get("engines") or default_engines(spec["device"])
        for r in generation_rates(str(base), spec["batch_sizes"], spec["seconds"], spec["device"], **ENGINES[engine])
    ]
    return {"status": "ok", "seconds": spec["seconds"], "batches": rates}


def table(record: dict) -> str:
    points = record.get("points", {})
    lines = [
        f"{record.get('device', '?')}, {record.get('date', '?')} — {LABEL}",
        "",
        "| point | backend | s / micro-batch (2 × 30 s) | first step s | peak GiB | trainable | "
        "loss start → end (steps) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in POINTS:
        p = points.get(name)
        if not p or name.endswith("generate"):
            continue
        if p["status"] != "ok":
            lines.append(f"| {name} | {p['status']}: {p.get('error', '')} | | | | | |")
            continue
        peak = next(iter(p["peak_memory"].values()))
        backend = p["backend"] + (" + grad. checkpointing" if p["gradient_checkpointing"] else "")
        lines.append(
            f"| {name} | {backend} | {p['seconds_per_micro_batch']:.3f} | {p['first_step_seconds']} | "
            f"{peak:.2f} | {p['trainable_parameters'] / 1e6:.1f} M | "
            f"{p['loss_start']:.3f} → {p['loss_end']:.3f} ({p['steps']}) |"
        )
    for name in ("1b/generate", "orpheus3b/generate"):
        gen = points.get(name)
        if not gen:
            continue
        lines += [
            "",
            f"| generation ({name.split('/')[0]}, random) | engine | audio-s | wall s | first s | "
            "audio-s per s | frames/s (loop) | real-time factor |",
            "|---|---|---|---|---|---|---|---|",
        ]
        if gen["status"] != "ok":
            lines.append(f"| {gen['status']}: {gen.get('error', '')} | | | | | | | |")
        for b in gen.get("batches", []):
            lines.append(
                f"| batch {b['batch']} | {b.get('engine', 'fast')} | {b['audio_seconds']:.1f} | "
                f"{b['wall_seconds']:.2f} | {b.get('first_seconds', '')} | {b['audio_seconds_per_second']:.2f} | "
                f"{b.get('frames_per_second', '')} | {b['wall_seconds'] / b['audio_seconds'] * b['batch']:.3f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":  # one point, in its own process: python -m ttsbench.perf.gpu DIR SPEC RESULT
    from ttsbench.core.log import show

    show()
    out_dir, spec_file, result_file = map(Path, sys.argv[1:4])
    result = measure(out_dir, json.loads(spec_file.read_text()))
    result_file.write_text(json.dumps(result) + "\n")
