"""`ttsbench`: one command, a subcommand per stage, each a thin layer over the Python API (`ttsbench.api`).

A subcommand's flags are derived from its options record where it has one (one flag per field, its
help the field's comment) and handed to the same function a notebook calls; this module only parses
and prints. Heavy libraries load inside the functions, so `ttsbench --help` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import api


def _prepare(args) -> int:
    from .core.options import given
    from .dataprep.asr import AsrOptions
    from .dataprep.chunking import ChunkOptions
    from .dataprep.prepare import PrepareOptions
    from .dataprep.splits import SplitOptions

    settings = {
        k: v for cls in (PrepareOptions, AsrOptions, ChunkOptions, SplitOptions) for k, v in given(args, cls).items()
    }
    settings.pop("out", None)
    settings["progress"] = not args.quiet
    ds = api.prepare(args.sources, args.out, **settings)
    print(summary_text(ds.manifest, ds.path))
    if ds.failed:
        print(f"{len(ds.failed)} source(s) failed (listed above and in {ds.path}/prepare.json)", file=sys.stderr)
        return 1
    return 0


def summary_text(manifest, out) -> str:
    lines = [f"voice dataset: {out}", f"{'split':<10} {'clips':>6} {'minutes':>8}"]
    for split, c in manifest.counts.items():
        lines.append(f"{split:<10} {c['clips']:>6} {c['minutes']:>8.2f}")
    dropped = manifest.dropped
    lines.append(
        f"dropped pieces: {len(dropped)} ({manifest.dropped_seconds:.1f} s)"
        + "".join(f"\n  {d['recording_id']} {d['start']:.1f}-{d['end']:.1f} s: {d['reason']}" for d in dropped[:10])
        + (f"\n  … {len(dropped) - 10} more in prepare.json" if len(dropped) > 10 else "")
    )
    for d in manifest.duplicates:
        lines.append(f"duplicate source: {d['source']} is the same audio as {d['same_as']} (used once)")
    if manifest.corrections:
        lines.append(
            "corrections: " + ", ".join(f"{c['wrong']!r}→{c['right']!r} ×{c['fired']}" for c in manifest.corrections)
        )
    return "\n".join(lines)


def _synth_voice(args) -> int:
    path = api.synth_voice(
        args.out, args.minutes, voice=args.voice, seed=args.seed, overwrite=args.overwrite, language=args.language
    )
    print(f"wrote {path} and {path.name}.txt ({args.minutes:g} min, voice {args.voice or 'default'}, {args.language})")
    return 0


def _bench(args) -> int:
    from .benchmark.runner import summary_table

    if args.plan:
        print(api.plan(args.suite, args.out, _targets(args.target or [])).text())
        return 0
    if args.target:
        from .core.errors import UserError

        raise UserError(f"--target {args.target[0]}: only with --plan (how many prompts it needs); add --plan")
    run = api.bench(args.suite, args.out, repair=args.repair, executor=args.executor, progress=not args.quiet)
    print(summary_table(run.results()))
    again = f", {run.regenerated} of them again (see the warnings above for why)" if run.regenerated else ""
    print(f"run directory: {run.dir} (generated {run.generated}{again}, scored {run.scored} this call)")
    return 0


def _targets(texts: list[str]) -> dict[str, float]:
    from .core.errors import UserError

    out = {}
    for t in texts:
        metric, _, value = t.partition("=")
        try:
            out[metric] = float(value)
        except ValueError:
            raise UserError(f"--target {t!r}: give METRIC=DIFFERENCE, e.g. speaker_sim=0.05") from None
    return out


def _check(args) -> int:
    from .benchmark.check import BLOCKING, report_text

    findings = api.check_findings(args.suite)
    print(report_text(findings))
    return 0 if all(f.ok for f in findings if f.topic in BLOCKING) else 1


def _tiny_model(args) -> int:
    from .core.hub import label_of

    out = api.tiny_model(args.out, args.family, args.size, args.seed)
    print(f"wrote a random {args.family} model to {out} [{label_of(out)}]")
    return 0


def _finetune(args) -> int:
    from .core.options import given
    from .models.families import family_settings
    from .models.records import FinetuneOptions

    own = {k: getattr(args, k) for k in family_settings("training") if getattr(args, k, None) is not None}
    ft = api.finetune(
        args.dataset,
        args.base,
        args.out,
        config=args.config,
        merge=args.merge,
        overwrite=args.overwrite,
        push_to_hub=args.push_to_hub,
        public=args.public,
        progress=not args.quiet,
        **given(args, FinetuneOptions),
        **own,
    )
    print(finetune_text(ft.record, ft.out))
    return 0


def finetune_text(record, out) -> str:
    evals = record.eval_losses
    lines = [
        f"adapter: {out}" + (f" [{record.label}]" if record.label else ""),
        f"backend {record.backend} on {record.device}, {record.steps} steps, "
        f"{record.rows['used']} train clips ({len(record.filtered)} filtered), "
        f"{record.wall_seconds:.1f} s ({record.seconds_per_step:.3f} s/step)",
    ]
    if record.losses:
        lines.append(f"train loss {record.losses[0]:.3f} → {record.losses[-1]:.3f}")
    if evals:
        lines.append(f"eval loss {evals[0]:.3f} → {evals[-1]:.3f}")
    lines.append(f"peak memory: {', '.join(f'{k} {v}' for k, v in record.peak_memory.items())}")
    if record.merged:
        lines.append(f"merged 16-bit checkpoint: {record.merged}")
    return "\n".join(lines)


def _report(args) -> int:
    result = api.report(
        args.runs,
        args.output,
        audio_dir=args.audio_dir,
        audio_format=args.audio_format,
        title=args.title,
        overwrite=args.overwrite,
    )
    print(f"report: {result.path} ({result.audio_elements} audio players, {result.seconds:.1f} s)")
    for m in result.missing:
        print(f"  missing: {m}", file=sys.stderr)
    return 0


def _listen(args) -> int:
    server = api.listen(args.run_dir, args.mode, args.trials, args.seed, args.host, args.port)
    test = server.test
    done = {r: len(t) for r, t in test.done.items()}
    print(
        f"listening test ({args.mode}, {args.trials} trials per rater, seed {args.seed}) on "
        f"http://{args.host}:{server.server_address[1]}/ — {len(test.samples)} samples, "
        f"{len(done)} rater(s) so far ({sum(done.values())} answers); answers go to "
        f"{test.store.ratings_path}. Ctrl-C stops; reopening continues where each rater stopped.",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print(f"stopped; `ttsbench report {args.run_dir} -o report.html` shows what the listeners said")
    return 0


def _sweep(args) -> int:
    import yaml

    from .core.errors import UserError

    given = [
        flag for flag, value in (("--sizes", args.sizes), ("--every", args.every), ("--setting", args.setting)) if value
    ]
    if len(given) > 1:
        raise UserError(f"{' and '.join(given)}: a sweep varies one thing; give one of --sizes, --every, --setting")
    if args.every is not None and args.seeds:
        raise UserError(
            "--seeds with --every: a steps sweep benches one fine-tune; its seed is the suite's finetune seed"
        )
    common = {"executor": args.executor, "progress": not args.quiet}
    if args.every is not None:
        result = api.sweep_steps(args.suite, args.every, args.out, **common)
    elif args.setting:
        name, _, values = args.setting.partition("=")
        if not name or not values:
            raise UserError(f"--setting {args.setting}: NAME=V1,V2,…, e.g. learning_rate=1e-4,2e-4")
        parsed = [yaml.safe_load(v) for v in values.split(",")]
        result = api.sweep_setting(
            args.suite, name.strip(), parsed, _ints(args.seeds or "0", "--seeds"), args.out, **common
        )
    else:
        result = api.sweep(
            args.suite,
            _ints(args.sizes or "10,25,50,100", "--sizes"),
            _ints(args.seeds or "0,1", "--seeds"),
            args.out,
            **common,
        )
    api.report(result, result.out / "report.html", overwrite=True)
    if result.result.label:
        print(f"[{result.result.label}]")
    print(
        f"curve: {result.out / 'curve.csv'}; report: {result.out / 'report.html'} "
        f"({len(result.result.computed)} points computed now)"
    )
    for variant, fit in {**result.fit(), **result.best()}.items():
        print(f"{variant}: {fit['text']}")
    return 0


def _ints(text: str, flag: str) -> list[int]:
    from .core.errors import UserError

    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(f"{flag} {text!r}: a comma-separated list of integers, e.g. 10,25,50") from None


def _calibrate(args) -> int:
    import json

    from .calibration.calibrate import calibrate, calibrate_effects, effects_table, report

    if args.effects:
        say = None if args.json else (lambda line: print(line, file=sys.stderr))
        result = calibrate_effects(
            args.data_dir, clips=args.clips, references=args.references, seed=args.seed, progress=say
        )
        print(json.dumps(result, indent=1) if args.json else effects_table(result, args.all_metrics))
        return 0
    result = calibrate(
        args.data_dir, asr=args.asr, encoder=args.encoder, normaliser=args.normaliser, source=args.source
    )
    print(json.dumps(result, indent=1) if args.json else report(result))
    return 0


def _perf(args) -> int:
    from .core.errors import UserError
    from .perf import REALSPEECH
    from .perf.generate import batch_sizes, engine_names

    data = Path(args.data) if args.data else REALSPEECH
    engines = engine_names(args.engines) if args.engines else None
    if args.what == "prepare":
        from .perf.prepare import perf_prepare, perf_prepare_long

        return (
            perf_prepare_long(data, args.hours, args.threads)
            if args.hours
            else perf_prepare(data, args.seconds or 120.0, args.threads)
        )
    if args.what == "report":
        from .perf.report import perf_report

        return perf_report(data)
    if args.what == "generate":
        from .perf.generate import perf_generate

        return perf_generate(
            args.base, batch_sizes(args.batch_sizes or "1,8"), args.seconds or 10.0, args.device, engines
        )
    if args.what == "exact":
        from .perf.generate import perf_exact

        return perf_exact(args.base, args.device)
    if args.what == "gpu":
        from .perf.gpu import perf_gpu

        if not args.out:
            raise UserError("perf gpu: pass --out DIR (where gpu.json, gpu.md and the random models go)")
        return perf_gpu(
            args.out,
            args.points.split(",") if args.points else None,
            args.steps,
            batch_sizes(args.batch_sizes or "1,8,16"),
            args.seconds or 10.0,
            "cuda" if args.device == "auto" else args.device,
            engines,
        )
    if args.what == "served":
        from .perf.served import perf_served

        return perf_served()
    if args.what == "session":
        from .perf.session import session

        if not args.out:
            raise UserError("perf session: pass --out DIR (logs, the random models and session.md go there)")
        return session(args.out, "cuda" if args.device == "auto" else args.device)
    from .perf.score import perf_score

    return perf_score(data, args.threads)


def build_parser() -> argparse.ArgumentParser:
    from .core.options import add_flags, add_setting_flags
    from .dataprep.asr import AsrOptions
    from .dataprep.chunking import ChunkOptions
    from .dataprep.prepare import PrepareOptions
    from .dataprep.splits import SplitOptions
    from .models.families import FAMILIES, family_settings
    from .models.records import FinetuneOptions

    parser = argparse.ArgumentParser(
        prog="ttsbench",
        description=(
            "Measure whether fine-tuning and voice cloning make a TTS model sound like one speaker "
            "without hurting intelligibility."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help, description=None):
        p = sub.add_parser(name, help=help, description=description or help)
        p.set_defaults(func=func)
        return p

    p = command(
        "prepare",
        _prepare,
        "recordings or URLs → a split voice dataset (train / eval / reference)",
        "Transcribe recordings with Whisper, cut them into clips on sentence ends, split them and save a "
        "Hugging Face dataset.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="audio/video files, folders of them, or URLs (yt-dlp)")
    p.add_argument("--out", required=True, help="dataset folder (load with datasets.load_from_disk)")
    add_flags(
        p,
        AsrOptions,
        skip={"compute_type", "threads"},
        rename={"model": "asr"},
        help={
            "model": "Whisper model: auto (the embedded one: tiny.en for English, base-multilingual for the rest), "
            "an openai-whisper name (turbo, large-v3 …) or .pt file, a CTranslate2 folder, or faster-whisper:NAME",
            "language": "the recordings' language, ISO 639-1 (de, es, ja …): forced in Whisper, sentence splitting "
            "in that language, recorded in prepare.json",
            "vad": "faster-whisper's Silero VAD skips non-speech, so Whisper does not invent words over music or "
            "silence",
        },
        defaults=PrepareOptions.__dataclass_fields__["asr"].default,
    )
    add_flags(p, ChunkOptions, skip={"max_pause"})
    add_flags(p, SplitOptions, skip={"reference_max_clip_seconds"}, help={"seed": "fixes the splits"})
    add_flags(p, PrepareOptions, skip={"out", "asr", "chunk", "split", "progress"})
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = command("synth-voice", _synth_voice, "an offline synthetic speaker's long recording (demo and tests)")
    p.add_argument("--out", required=True, help="WAV file to write; its text goes to FILE.txt")
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument(
        "--voice",
        help="hibari (the target voice; English, the default there) or espeak (any language; the default else)",
    )
    p.add_argument("--language", default="en", help="ISO 639-1; other than en, espeak-ng reads that language's prompts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="replace a file at --out that synth-voice did not make")

    p = command(
        "bench",
        _bench,
        "generate every variant × prompt × seed of a suite, score, summarise",
        "Run a suite (YAML); resumable: a re-run skips finished samples and scores.",
    )
    p.add_argument("suite", metavar="SUITE.yaml")
    p.add_argument("--out", help="run directory (default: the suite's `out:`, else runs/<suite name>)")
    p.add_argument(
        "--repair",
        action="store_true",
        help="first keep every intact line of a damaged samples.jsonl, "
        "scores.jsonl or ratings.jsonl (the original is kept beside it), then resume",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--plan",
        action="store_true",
        help="generate nothing: from an earlier run of this suite (its "
        "--out), how many prompts each difference gate, and each --target, needs at 80 %% power",
    )
    p.add_argument(
        "--target",
        action="append",
        metavar="METRIC=DIFFERENCE",
        help="with --plan: a difference to detect between each variant and base, e.g. speaker_sim=0.05",
    )
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="ray: the model's (variant, seed) batches as Ray actors' work, one GPU each (RAY_ADDRESS for "
        "a cluster); this process alone writes the run directory",
    )

    p = command(
        "check",
        _check,
        "can this machine run a suite? models here or how to fetch them, backend, device, work and rough time",
        "Checks without loading or downloading anything: the device and its free "
        "memory, the fine-tune backend that would be chosen, FFmpeg, and for a suite every model it needs "
        "(with the command that fetches a missing one), its dataset and its work. Exit 0 when it can run, "
        "1 otherwise.",
    )
    p.add_argument("suite", nargs="?", metavar="SUITE.yaml")

    for name, families in (("tiny-model", FAMILIES.names()), ("tiny-csm", None)):
        p = command(
            name,
            _tiny_model,
            "a tiny random model (CSM ~300 k parameters; Orpheus: Llama + SNAC) with its processor, for pipeline checks"
            if families
            else "tiny-model --family csm",
            "Build a tiny random model offline and save it like a real checkpoint; everything made with it "
            "is labelled 'tiny random model — pipeline check only'.",
        )
        if families:
            p.add_argument("--family", choices=families, default="csm")
        else:
            p.set_defaults(family="csm")  # tiny-csm: the old name of tiny-model --family csm
        p.add_argument("--out", required=True, help="checkpoint folder to write")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument(
            "--size",
            choices=["tiny", "1b", "3b"],
            default="tiny",
            help="1b (CSM): CSM-1B's configuration, random (1.77 B parameters, bf16); 3b (Orpheus): "
            "Orpheus-3B's, with the 24 kHz SNAC's: GPU speed and memory only",
        )

    p = command(
        "finetune",
        _finetune,
        "LoRA fine-tuning on a voice dataset (Unsloth on CUDA, else PEFT)",
        "Train LoRA adapters on the dataset's train split; eval loss on its eval split, TensorBoard logs "
        "and finetune.json in --out. Defaults are the workshop's (r 32, alpha 16, lr 2e-4, batch 2 × 4, "
        "warm-up 3, seed 3407); a setting left out is the model family's.",
    )
    p.add_argument("dataset", metavar="DATASET", help="`ttsbench prepare` folder, a saved dataset or a Hub id")
    p.add_argument("--base", required=True, help="sesame/csm-1b, unsloth/csm-1b, an Orpheus id or a checkpoint folder")
    p.add_argument("--out", required=True, help="folder for the adapter, finetune.json and tensorboard/")
    p.add_argument("--config", help="YAML of settings (any FinetuneOptions field); flags win over it")
    add_flags(
        p,
        FinetuneOptions,
        skip={"family_settings"},
        help={"family": f"auto (from the base checkpoint's config.json) or one of {', '.join(FAMILIES.names())}"},
    )
    add_setting_flags(p, family_settings("training"))  # each family's own (--depth-decoder-frames …)
    p.add_argument("--merge", action="store_true", help="also write a merged 16-bit checkpoint to OUT/merged")
    p.add_argument("--overwrite", action="store_true", help="replace a fine-tune with other settings already in OUT")
    p.add_argument("--push-to-hub", metavar="REPO", help="push the adapter (private; token from HF_TOKEN)")
    p.add_argument("--public", action="store_true", help="with --push-to-hub: make it public")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = command(
        "report",
        _report,
        "one self-contained HTML report of one or more runs (or sweeps)",
        "Tables, paired comparisons, plots and audio players side by side. Runs scored with different ASR "
        "or speaker models are shown but not compared.",
    )
    p.add_argument(
        "runs", nargs="+", metavar="RUN_DIR", help="run directories (`ttsbench bench --out`) or sweep folders"
    )
    p.add_argument("-o", "--output", required=True, help="the HTML file to write (report.json goes beside it)")
    p.add_argument("--audio-dir", help="copy audio into this folder beside the page instead of embedding it")
    p.add_argument(
        "--audio-format",
        choices=["ogg", "wav"],
        default="ogg",
        help="embedded audio: ogg (Vorbis, ~10× smaller) or wav (plays everywhere)",
    )
    p.add_argument("--title")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file at -o that is not a report")

    p = command(
        "listen",
        _listen,
        "a blind listening test of a run in your browser (answers to ratings.jsonl)",
        "Serves a local page: A/B preference (more like the reference voice? more natural?), MOS or "
        "similarity MOS, blind and randomised, with attention checks.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--mode", choices=["ab", "mos", "smos"], default="ab")
    p.add_argument("--trials", type=int, default=20, help="opinions per rater (attention checks come on top)")
    p.add_argument("--seed", type=int, default=0, help="draws each rater's order, pairs and sides")
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1: this machine only (0.0.0.0 to share it)")
    p.add_argument("--port", type=int, default=8765)

    p = command(
        "sweep",
        _sweep,
        "fine-tune and bench at several data sizes, training steps or settings: the learning curve, the best step",
        "--sizes: for each size × seed, fine-tune on the nested subset and bench the fine-tuned rows (the "
        "learning curve, fitted; rows to reach the suite's `target:`). --every N: fine-tune once, keep the "
        "adapter every N steps and bench each (the best step within the suite's `limits:`). --setting "
        "NAME=V1,V2: one fine-tune per value, side by side. Base, cloned and the anchors run once. Writes "
        "curve.csv, sweep.json and report.html. Resumable.",
    )
    p.add_argument("suite", metavar="SUITE.yaml")
    p.add_argument("--sizes", help="train rows per point, comma-separated (default 10,25,50,100)")
    p.add_argument("--every", type=int, help="keep the adapter every N steps of one fine-tune and bench each")
    p.add_argument("--setting", metavar="NAME=V1,V2", help="one fine-tune per value of a fine-tune setting")
    p.add_argument("--seeds", help="seeds per size or value: they pick the rows and seed the training (default 0,1; 0)")
    p.add_argument("--out", help="sweep folder (default: the suite's out with -sweep)")
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="ray: each point a Ray task (RAY_ADDRESS for a cluster)",
    )
    p.add_argument("--quiet", action="store_true")

    p = command(
        "calibrate",
        _calibrate,
        "the scorers on real speech: ASR WER and CER (per language) and speaker-encoder EER",
        "DATA_DIR holds audio and transcripts.tsv (path, speaker, text, and optionally language: ISO 639-1, "
        "English where absent).",
    )
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument(
        "--asr",
        default="auto",
        help="auto: each clip's language's embedded model (tiny.en for English, base-multilingual for the rest)",
    )
    p.add_argument("--encoder", default="resemblyzer", help="resemblyzer, ecapa or wavlm")
    p.add_argument("--source", help="ecapa/wavlm weights: a local folder or a Hub id in the cache")
    p.add_argument("--normaliser", default="whisper", help="whisper or seedtts")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--effects",
        action="store_true",
        help="every scorer's response to known damage (noise, babble, pitch, tempo, another speaker, "
        "a cut, a tail) on each speaker's clips; the embedded scorers with default settings",
    )
    p.add_argument("--clips", type=int, default=2, help="--effects: clips perturbed per speaker")
    p.add_argument("--references", type=int, default=3, help="--effects: each speaker's reference clips")
    p.add_argument("--seed", type=int, default=0, help="--effects: noise, babble and its talkers")
    p.add_argument("--all-metrics", action="store_true", help="--effects: every metric, not only the compared ones")

    p = command("perf", _perf, "speed benchmarks, each against a baseline measured in the same run")
    p.add_argument(
        "what",
        choices=["prepare", "score", "report", "generate", "exact", "gpu", "session", "served"],
        help="prepare: audio-seconds per wall-second vs the notebook's way; score: audio-seconds scored per "
        "wall-second vs a per-file loop, and cached; report: seconds to write the report of 4 variants × 20 "
        "prompts × 3 seeds; generate: each engine's frames/s at each --batch-sizes (to the frame cap) "
        "against transformers and against the device's memory-bandwidth limit, --base a checkpoint; exact: "
        "the engines' greedy codes against transformers', and seeded sampling reproducible; gpu: the "
        "fine-tune (Unsloth, PEFT, PEFT + gradient checkpointing) and generation figures of a CUDA GPU "
        "into --out DIR; session: the GPU figures docs/benchmarks.md lacks, every step under its own "
        "time limit, logs in --out (--device cpu: a dry run on tiny models); served: a served row's samples/s at "
        "concurrency 1, 4 and 16 against the local speech server, the harness's overhead per request, and "
        "scoring's share of a served bench",
    )
    p.add_argument("--base", help="generate: a checkpoint (e.g. `ttsbench tiny-model --size 1b` output)")
    p.add_argument("--batch-sizes", default=None, help="generate, gpu: batch sizes to time (1,8; gpu: 1,8,16)")
    p.add_argument("--out", help="gpu: the folder for gpu.json, gpu.md, the random models and clips (resumable)")
    p.add_argument(
        "--points",
        help="gpu: a comma list of points (default all: tiny/unsloth, tiny/peft, "
        "tiny/peft+gc, 1b/unsloth, 1b/peft, 1b/peft+gc, 1b/generate, orpheus3b/generate)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=10,
        help="gpu: optimizer steps per training point (1b/unsloth runs the workshop's 60)",
    )
    p.add_argument(
        "--engines",
        help="generate, gpu: a comma list of transformers, eager, fast, compiled (default: "
        "transformers, eager, fast on CUDA; transformers, fast, compiled elsewhere)",
    )
    p.add_argument("--device", default="auto", help="generate: auto, cpu or cuda")
    p.add_argument("--data", default=None, help="a folder of speech (default ../shared/data/realspeech/ljspeech)")
    p.add_argument(
        "--seconds",
        type=float,
        help="prepare: how much audio to process (120); generate: the frame cap per sample (10)",
    )
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0 = all)")
    p.add_argument(
        "--hours", type=float, help="prepare: peak memory on a recording this long (e.g. 2) instead of speed"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from .core.log import show

    show()  # ttsbench's messages (a plug-in that failed to load, progress, warnings) on stderr, one line each
    args = build_parser().parse_args(argv)
    from .core.errors import OptionError, UserError, redact

    try:
        return args.func(args)
    except OptionError as e:  # a setting out of range: named as the flag that set it, when one did
        flag = "--" + e.key.replace("_", "-")
        given = any(a == flag or a.startswith(flag + "=") for a in argv)
        print(f"ttsbench {args.command}: error: {redact(e.where(flag) if given else e)}", file=sys.stderr)
        return 2
    except UserError as e:  # bad input or a missing model: one line, no traceback
        print(f"ttsbench {args.command}: error: {redact(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
