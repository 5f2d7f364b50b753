"""`ttsbench check [SUITE.yaml]`: before a long run, whether it can run here and roughly how long it takes.

For the machine: the device and its free memory, which fine-tune backend would be chosen and why,
FFmpeg's libraries (torchcodec) and espeak-ng. For a suite, also: every model it needs (the
synthesizer's checkpoint, the adapter or fine-tune base, each scorer's weights) — here or not, and
the command that fetches what is missing — the dataset, and the work (samples to generate,
audio-seconds to score) with a rough time from the figures in docs/benchmarks.md. Nothing is loaded
or downloaded: it takes seconds. `bench` and `sweep` run the same model checks first, so a missing
model fails at once, not after an hour of generation.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass, replace

from ttsbench.core.errors import UserError, redact

# Throughputs measured in docs/benchmarks.md (ratios to real time), for the rough estimate only.
GENERATION_RATE = {("cuda", "batch1"): 0.28, ("cuda", "batched"): 0.39}  # random CSM-1B, H100, audio-s per s
SCORING_RATE_CPU = 11.0  # Whisper tiny.en + resemblyzer + signal on 2 CPU cores, × real time (`perf score`)


class CheckError(UserError, ValueError):
    """A suite that cannot run here; the message names what is missing and the command that fetches it."""


@dataclass(frozen=True)
class Finding:
    """One line of the check."""

    topic: str  # device, backend, media, codec, model, scorer, dataset, engine, work
    name: str
    ok: bool
    detail: str
    fix: str = ""  # the command or step that makes it ok

    def __post_init__(self):  # what `bench` masks, `check` masks: credentials in any URL, secret parameters
        for name in ("name", "detail", "fix"):
            object.__setattr__(self, name, redact(getattr(self, name)))


def machine_findings() -> list[Finding]:
    import torch

    out = []
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        out.append(
            Finding(
                "device",
                "cuda",
                True,
                f"{torch.cuda.get_device_name()}, {free / 2**30:.1f} of {total / 2**30:.1f} GiB free",
            )
        )
    else:
        out.append(Finding("device", "cpu", True, f"no CUDA GPU; {os.cpu_count()} CPU cores"))
    out.append(backend_finding(torch.cuda.is_available()))
    try:
        import av  # noqa: F401  (ttsbench decodes recordings with PyAV, whose wheels carry FFmpeg)

        out.append(Finding("media", "pyav", True, "PyAV decodes recordings and video"))
    except Exception as e:
        out.append(Finding("media", "pyav", False, f"PyAV does not import ({type(e).__name__})", "pip install av"))
    try:
        import torchcodec.decoders  # noqa: F401  (importing it loads FFmpeg's libraries)

        out.append(Finding("codec", "torchcodec", True, "datasets can decode audio columns in your own code"))
    except Exception as e:  # ImportError (no build for this torch), OSError / RuntimeError (no libavutil)
        out.append(
            Finding(
                "codec",
                "torchcodec",
                False,
                f"torchcodec does not load ({type(e).__name__}); ttsbench reads and writes datasets without it, "
                "but `ds[i]['audio']` in your own code needs it",
                "install the torchcodec that pairs with this torch and apt-get install ffmpeg, or read audio with "
                "ds.cast_column('audio', datasets.Audio(decode=False)) and soundfile",
            )
        )
    return out + plugin_findings()


def plugin_findings() -> list[Finding]:
    """The scorers, synthesizers and model families that installed packages add (entry points), each loaded
    once: a broken one is a line naming its package (it stops only a suite that uses it)."""
    from ttsbench.models.families import FAMILIES

    from .scorers import SCORERS
    from .synth import SYNTHS

    out = []
    for registry in (SCORERS, SYNTHS, FAMILIES):
        problems = registry.verify()
        for name in registry.plugins():
            if not any(f"{registry.kind} {name!r}" in p for p in problems):
                out.append(Finding("plug-in", name, True, f"{registry.kind} from {registry.source(name)}"))
        out += [Finding("plug-in", registry.group, False, p) for p in problems]  # each line names its fix
    return out


def backend_finding(cuda: bool) -> Finding:
    unsloth = importlib.util.find_spec("unsloth") is not None
    bnb = importlib.util.find_spec("bitsandbytes") is not None
    if cuda and unsloth:
        return Finding(
            "backend",
            "unsloth",
            True,
            "CUDA and unsloth are here: Unsloth's FastModel, AdamW 8-bit"
            + ("" if bnb else " — but bitsandbytes is missing"),
            "" if bnb else "pip install bitsandbytes",
        )
    why = "no CUDA GPU" if not cuda else "unsloth is not installed"
    return Finding(
        "backend", "peft", True, f"transformers + PEFT ({why})", "pip install -e '.[gpu]' for Unsloth" if cuda else ""
    )


def suite_findings(suite, work: bool = True) -> list[Finding]:
    """The models, dataset and (with `work`) the amount of work of a suite (a `benchmark.plan.Suite`)."""
    from .scorers import scorer_class
    from .synth import synth_class

    out = []
    if suite.uses_model:
        ok, detail, fix = synth_class(suite.model).availability(suite.model)
        out.append(Finding("model", suite.model.backend, ok, detail, fix))
    problems = {key: (problem, fix) for key, problem, fix in suite.weights_problems()}
    out += [row_finding(row, problems) for row in suite.own_rows]
    for key, path in (("merged", suite.merged), ("adapter", suite.adapter if suite.needs_adapter else None)):
        if path is not None:
            problem, fix = problems.get(key, (str(path), ""))
            out.append(Finding("model", key, key not in problems, problem, fix))
    if suite.needs_adapter and suite.adapter is None and suite.finetune is not None:
        base = suite.finetune.base or suite.model.checkpoint
        ok, detail, fix = synth_class(suite.model).availability(replace(suite.model, checkpoint=base))
        out.append(Finding("model", "fine-tune base", ok, detail, fix))
    if suite.dataset is not None:
        ok = (suite.dataset / "state.json").is_file()
        out.append(
            Finding(
                "dataset",
                str(suite.dataset),
                ok,
                "a saved dataset" if ok else "not a saved dataset",
                "" if ok else f"ttsbench prepare RECORDINGS --out {suite.dataset}",
            )
        )
    for name, settings in suite.scorers.items():
        ok, detail, fix = scorer_class(name).availability(settings or {})
        out.append(Finding("scorer", name, ok, detail, fix))
    if suite.generation.compile:
        out.append(compile_finding())
    if any(a.anchor == "floor" for a in suite.anchors) and suite.impostor_voice.startswith("espeak"):
        ok = shutil.which("espeak-ng") is not None
        out.append(
            Finding(
                "media",
                "espeak-ng",
                ok,
                "speaks the impostor row" if ok else "not installed",
                "" if ok else "apt-get install espeak-ng (or run `make install`)",
            )
        )
    if work:
        out.append(work_finding(suite))
    return out


def row_finding(row, problems: dict) -> Finding:
    """A row of its own: its checkpoint and adapter are here, its endpoint answers one short request with audio
    (the API key's variable set), its function imports — each said in one line naming the row."""
    from .synth import synth_class

    source = row.source
    if source.kind == "served":
        from .synth.served import ServedSynth

        problem = ServedSynth(source.served, row.name).probe()
        detail = problem or f"{source.served.model} at {redact(source.served.url)} answers with audio"
        return Finding(
            "row", row.name, not problem, detail, "start the server, or fix the row's served: keys" if problem else ""
        )
    if source.kind == "callable":
        from .synth.function import load_function

        try:
            load_function(source.function, row.name)
        except UserError as e:
            return Finding("row", row.name, False, str(e).removeprefix(f"row {row.name}: "))
        return Finding("row", row.name, True, f"the function {source.function}")
    key = f"rows.{row.name}.adapter"
    if key in problems:
        return Finding("row", row.name, False, problems[key][0], problems[key][1])
    if source.model is not None:
        ok, detail, fix = synth_class(source.model).availability(source.model)
        if not ok:
            return Finding("row", row.name, False, detail, fix)
    return Finding("row", row.name, True, "adapter " + source.adapter if source.adapter else "its checkpoint")


def compile_finding() -> Finding:
    """`generation: {compile: true}`: on CUDA it adds nothing (each frame is already one captured graph); on a
    CPU, Inductor builds C++ and needs a compiler."""
    import torch

    if torch.cuda.is_available():
        return Finding(
            "engine",
            "compile",
            True,
            "adds nothing on CUDA: the fast engine already replays each "
            "frame as one captured CUDA graph (compile: false is the same)",
        )
    found = next((c for c in ("g++", "c++", "clang++") if shutil.which(c)), None)
    return Finding(
        "engine",
        "compile",
        found is not None,
        f"torch.compile on the CPU builds its kernels with {found}"
        if found
        else "torch.compile on the CPU needs a C++ compiler, and none is on PATH",
        "" if found else "apt-get install g++, or set generation: {compile: false}",
    )


def work_finding(suite) -> Finding:
    """Samples to generate and audio-seconds to score, with a rough time where a figure exists."""
    n_model = len(suite.variants) * len(suite.prompts.prompts) * len(suite.seeds)
    audio = (
        sum(suite.generation.max_seconds_for(p.text) for p in suite.prompts.prompts)
        * len(suite.variants)
        * len(suite.seeds)
    )
    n_floor = len(suite.prompts.prompts) * sum(1 for a in suite.anchors if a.anchor == "floor")
    detail = (
        f"{n_model} samples to generate (at most {audio / 60:.0f} min of audio at the frame caps), "
        f"{n_floor} impostor and the eval clips as anchors; scoring at most {(audio / 60):.0f} min of audio"
    )
    import torch

    from ttsbench.models.families import FAMILIES

    from .synth import synth_class

    device = "cuda" if torch.cuda.is_available() else "cpu"
    label = synth_class(suite.model).describe(suite.model) if n_model else ""
    family = suite.model.backend in FAMILIES
    if family and device == "cuda":
        rate = GENERATION_RATE[("cuda", "batched" if suite.generation.batch_size > 1 else "batch1")]
        detail += f"; roughly {audio / rate / 3600:.1f} h to generate at {rate} audio-s per s (H100, eager)"
    elif family and not label:
        detail += f"; {suite.model.backend} on CPU: no measured figure (expect far slower than real time)"
    asr = (suite.scorers.get("wer") or {}).get("asr", "tiny.en") if "wer" in suite.scorers else None
    if device == "cpu" and asr in (None, "tiny.en"):
        detail += f"; roughly {audio / SCORING_RATE_CPU / 60:.0f} min to score on CPU"
    elif device == "cpu":
        detail += f"; no CPU scoring figure for Whisper {asr} (tiny.en scores at {SCORING_RATE_CPU:g}× real time)"
    return Finding("work", suite.name, True, detail + (f" [{label}]" if label else ""))


#: what stops a run (a broken plug-in it does not use does not)
BLOCKING = ("model", "row", "scorer", "dataset", "media", "engine")


def require(findings: list[Finding]) -> None:
    """Raise CheckError naming the first missing model, dataset or tool (before any work)."""
    for f in findings:
        if not f.ok and f.topic in BLOCKING:
            raise CheckError(f"{f.topic} {f.name}: {f.detail}; {f.fix}" if f.fix else f"{f.topic} {f.name}: {f.detail}")


def report_text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        mark = "ok  " if f.ok else "MISS"
        lines.append(f"{mark} {f.topic:<8} {f.name:<18} {f.detail}" + (f"\n{'':<33}→ {f.fix}" if f.fix else ""))
    bad = [f for f in findings if not f.ok and f.topic in BLOCKING]
    broken = [f for f in findings if not f.ok and f.topic not in BLOCKING]
    lines.append(
        ("can run" if not bad else f"cannot run: {len(bad)} thing(s) missing (see MISS)")
        + (f"; {len(broken)} other problem(s) (see MISS)" if broken else "")
    )
    return "\n".join(lines)
