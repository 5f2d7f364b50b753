"""`ttsbench`: one command, a subcommand per stage.

Each subcommand parses flags named like its library function's arguments and calls it; nothing
here is reachable only from the command line. Heavy libraries are imported inside the handlers,
so `ttsbench --help` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path



def _prepare(args) -> int:
    from dataprep.asr import AsrOptions
    from dataprep.chunking import ChunkOptions
    from dataprep.prepare import PrepareOptions, prepare
    from dataprep.sources import default_cache_dir
    from dataprep.splits import SplitOptions

    options = PrepareOptions(
        out=Path(args.out), sample_rate=args.sample_rate,
        asr=AsrOptions(model=args.asr, beam_size=args.beam_size, vad=args.vad, device=args.device),
        chunk=ChunkOptions(max_seconds=args.max_seconds, min_seconds=args.min_seconds, margin=args.margin),
        split=SplitOptions(seed=args.seed, reference_clips=args.reference_clips,
                           reference_seconds=args.reference_seconds, eval_fraction=args.eval_fraction),
        corrections=Path(args.corrections) if args.corrections else None,
        speaker=args.speaker, speakers=Path(args.speakers) if args.speakers else None,
        retranscribe=args.retranscribe,
        cache_dir=Path(args.cache_dir) if args.cache_dir else default_cache_dir() / "downloads",
        push_to_hub=args.push_to_hub, public=args.public, progress=not args.quiet)
    result = prepare(args.sources, options)
    print(summary_text(result.manifest, result.out))
    if result.failed:
        print(f"{len(result.failed)} source(s) failed (listed above and in {result.out}/prepare.json)", file=sys.stderr)
        return 1
    return 0


def summary_text(manifest, out) -> str:
    lines = [f"voice dataset: {out}", f"{'split':<10} {'clips':>6} {'minutes':>8}"]
    for split, c in manifest.counts.items():
        lines.append(f"{split:<10} {c['clips']:>6} {c['minutes']:>8.2f}")
    dropped = manifest.dropped
    lines.append(f"dropped pieces: {len(dropped)} ({manifest.dropped_seconds:.1f} s)"
                 + "".join(f"\n  {d['recording_id']} {d['start']:.1f}-{d['end']:.1f} s: {d['reason']}"
                           for d in dropped[:10])
                 + (f"\n  … {len(dropped) - 10} more in prepare.json" if len(dropped) > 10 else ""))
    for d in manifest.duplicates:
        lines.append(f"duplicate source: {d['source']} is the same audio as {d['same_as']} (used once)")
    if manifest.corrections:
        lines.append("corrections: " + ", ".join(f"{c['wrong']!r}→{c['right']!r} ×{c['fired']}"
                                                 for c in manifest.corrections))
    return "\n".join(lines)


def _synth_voice(args) -> int:
    from dataprep.synthvoice import synth_voice

    path = synth_voice(args.out, args.minutes, voice=args.voice, seed=args.seed)
    print(f"wrote {path} and {path.name}.txt ({args.minutes:g} min, voice {args.voice})")
    return 0


def _bench(args) -> int:
    from bench.runner import run_suite, summary_table
    from bench.suite import load_suite

    suite = load_suite(args.suite)
    run_dir = Path(args.out) if args.out else (suite.out or Path("runs") / suite.name)
    if args.plan:
        return _plan(suite, run_dir, args.target or [])
    result = run_suite(suite, run_dir, progress=not args.quiet, repair=args.repair, executor=args.executor)
    print(summary_table(result.summary))
    again = f", {result.regenerated} of them again because their audio had gone" if result.regenerated else ""
    print(f"run directory: {run_dir} (generated {result.generated}{again}, scored {result.scored} this call)")
    return 0


def _plan(suite, run_dir: Path, targets: list[str]) -> int:
    """How many prompts each difference gate (and each --target) needs, from an earlier run's spread."""
    from bench.records import ANCHORS, RunRecord
    from bench.stats import detectable
    from bench.store import RunStore
    from dataprep.errors import UserError
    from suites.gates import parse_gate

    run = RunRecord.read(run_dir)
    if run is None:
        raise UserError(f"--plan: {run_dir} holds no earlier run to estimate from; run `ttsbench bench` once "
                        "(a few prompts are enough) or pass --out to an earlier run of this suite")
    summary = RunStore(run_dir).summary()
    asks = []
    for text in suite.gates:
        gate = parse_gate(text, summary.rows, list(suite.scorers), str(suite.path))
        if gate.minus_row is not None and gate.threshold and gate.row != "human":  # human.*: listeners, not prompts
            asks.append((text, gate.row, gate.minus_row, gate.metric, abs(gate.threshold)))
    for t in targets:
        metric, _, value = t.partition("=")
        try:
            difference = abs(float(value))
        except ValueError:
            raise UserError(f"--target {t!r}: give METRIC=DIFFERENCE, e.g. speaker_sim=0.05") from None
        for row in [r for r in summary.rows if r not in ANCHORS and r != "base"]:
            asks.append((f"{row} − base on {metric}: {difference:g}", row, "base", metric, difference))
    if not asks:
        print("nothing to plan: the suite has no gate on a difference; pass --target METRIC=DIFFERENCE")
        return 0
    seeds = len(run.config.get("seeds", [])) if isinstance(run.config.get("seeds"), list) else run.config.get("seeds")
    print(f"from {run_dir} ({run.prompts.get('n')} prompts × {seeds} seeds); 80 % power, α 0.05, two-sided")
    for text, a, b, metric, difference in asks:
        c = summary.comparison(a, b, (metric, summary.metric(metric).base))
        if c is None or c.spread is None:
            print(f"{text}\n    no estimate: {a} and {b} have fewer than 2 prompts scored in both")
            continue
        n = c.n_pairs if c.paired else run.prompts.get("n")
        need = c.prompts_for(difference)
        now = detectable(c.spread, n or 0, 1 if c.paired else 2)
        print(f"{text}\n    spread of per-prompt differences {c.spread:.3g}; {n} prompts detect "
              f"{'?' if now is None else f'{now:.3g}'}; {difference:g} needs about "
              f"{'more than 100000' if need is None else need} prompts (at {seeds} seeds each)")
    return 0


def _check(args) -> int:
    from bench.check import machine_findings, report_text, suite_findings

    findings = machine_findings()
    if args.suite:
        from bench.suite import load_suite

        findings += suite_findings(load_suite(args.suite, check_paths=False))
    print(report_text(findings))
    return 0 if all(f.ok for f in findings) else 1


def _tiny_model(args) -> int:
    from finetune.families import family
    from finetune.model import checkpoint_label

    name = getattr(args, "family", "csm")
    out = family(name).build_tiny(args.out, seed=args.seed, size=args.size)
    print(f"wrote a random {name} model to {out} [{checkpoint_label(out)}]")
    return 0


FINETUNE_FLAGS = ("rows", "max_steps", "epochs", "seed", "learning_rate", "per_device_batch_size",
                  "gradient_accumulation_steps", "r", "lora_alpha", "backend", "device", "depth_decoder_frames",
                  "max_audio_seconds", "eval_steps", "gradient_checkpointing", "family", "duplicate_frames")


def _finetune(args) -> int:
    from finetune.train import FinetuneOptions, finetune

    from finetune.families import family, family_of
    from finetune.model import check_checkpoint

    given = {k: getattr(args, k) for k in FINETUNE_FLAGS if getattr(args, k) is not None}
    FinetuneOptions.from_yaml(args.config, **given) if args.config else FinetuneOptions.from_dict(given)  # values first
    # the family's LoRA defaults (Orpheus: its notebook's r 64, alpha 64) under the config file and the flags
    fam = family(given["family"]) if given.get("family", "auto") != "auto" else family_of(check_checkpoint(args.base))
    if not args.config:
        given = {**fam.lora, **given}
    options = (FinetuneOptions.from_yaml(args.config, defaults=fam.lora, **given) if args.config
               else FinetuneOptions.from_dict(given))
    result = finetune(args.dataset, args.base, args.out, options, merge=args.merge, overwrite=args.overwrite,
                      push_to_hub=args.push_to_hub,
                      public=args.public, progress=not args.quiet)
    print(finetune_text(result.record, result.out))
    return 0


def finetune_text(record, out) -> str:
    evals = record.eval_losses
    lines = [f"adapter: {out}" + (f" [{record.label}]" if record.label else ""),
             f"backend {record.backend} on {record.device}, {record.steps} steps, "
             f"{record.rows['used']} train clips ({len(record.filtered)} filtered), "
             f"{record.wall_seconds:.1f} s ({record.seconds_per_step:.3f} s/step)"]
    if record.losses:
        lines.append(f"train loss {record.losses[0]:.3f} → {record.losses[-1]:.3f}")
    if evals:
        lines.append(f"eval loss {evals[0]:.3f} → {evals[-1]:.3f}")
    lines.append(f"peak memory: {', '.join(f'{k} {v}' for k, v in record.peak_memory.items())}")
    if record.merged:
        lines.append(f"merged 16-bit checkpoint: {record.merged}")
    return "\n".join(lines)


def _report(args) -> int:
    from reports.html import build_report

    result = build_report(args.runs, args.output, audio_dir=args.audio_dir, audio_format=args.audio_format,
                          title=args.title, overwrite=args.overwrite)
    print(f"report: {result.path} ({result.audio_elements} audio players, {result.seconds:.1f} s)")
    for m in result.missing:
        print(f"  missing: {m}", file=sys.stderr)
    return 0


def _listen(args) -> int:
    from bench.listen import ListenTest, serve

    test = ListenTest(Path(args.run_dir), mode=args.mode, trials=args.trials, seed=args.seed)
    server = serve(test, args.host, args.port)
    done = {r: len(t) for r, t in test.done.items()}
    print(f"listening test ({args.mode}, {args.trials} trials per rater, seed {args.seed}) on "
          f"http://{args.host}:{server.server_address[1]}/ — {len(test.samples)} samples, "
          f"{len(done)} rater(s) so far ({sum(done.values())} answers); answers go to "
          f"{test.store.ratings_path}. Ctrl-C stops; reopening continues where each rater stopped.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print(f"stopped; `ttsbench report {args.run_dir} -o report.html` shows what the listeners said")
    return 0


def _sweep(args) -> int:
    from bench.suite import load_suite
    from bench.sweep import sweep

    suite = load_suite(args.suite)
    default = suite.out or Path("runs") / suite.name
    out = Path(args.out) if args.out else default.with_name(default.name + "-sweep")
    result = sweep(suite, _ints(args.sizes, "--sizes"), _ints(args.seeds, "--seeds"), out, executor=args.executor,
                   progress=not args.quiet)
    from reports.html import build_report

    build_report([out], out / "report.html")
    if result.label:
        print(f"[{result.label}]")
    print(f"curve: {out / 'curve.csv'}; report: {out / 'report.html'} ({len(result.computed)} points computed now)")
    for variant, fit in result.fit.items():
        print(f"{variant}: {fit['text']}")
    return 0


def _ints(text: str, flag: str) -> list[int]:
    from dataprep.errors import UserError

    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(f"{flag} {text!r}: a comma-separated list of integers, e.g. 10,25,50") from None


def _calibrate(args) -> int:
    import json

    from bench.calibrate import calibrate, calibrate_effects, effects_table, report

    if args.effects:
        say = None if args.json else (lambda line: print(line, file=sys.stderr))
        result = calibrate_effects(args.data_dir, clips=args.clips, references=args.references, seed=args.seed,
                                   progress=say)
        print(json.dumps(result, indent=1) if args.json else effects_table(result, args.all_metrics))
        return 0
    result = calibrate(args.data_dir, asr=args.asr, encoder=args.encoder, normaliser=args.normaliser,
                       source=args.source)
    print(json.dumps(result, indent=1) if args.json else report(result))
    return 0


def _perf(args) -> int:
    from bench import perf
    from dataprep.errors import UserError

    data = Path(args.data) if args.data else perf.REALSPEECH
    if args.what == "prepare":
        if args.hours:
            return perf.perf_prepare_long(data, args.hours, args.threads)
        return perf.perf_prepare(data, args.seconds or 120.0, args.threads)
    if args.what == "report":
        from reports.perf import perf_report

        return perf_report(data)
    if args.what == "generate":
        return perf.perf_generate(args.base, perf.batch_sizes(args.batch_sizes or "1,8"), args.seconds or 10.0,
                                  args.device, perf.engine_names(args.engines or ",".join(perf.ENGINES)))
    if args.what == "gpu":
        from bench.perf_gpu import perf_gpu

        if not args.out:
            raise UserError("perf gpu: pass --out DIR (where gpu.json, gpu.md and the random models go)")
        return perf_gpu(args.out, args.points.split(",") if args.points else None, args.steps,
                        perf.batch_sizes(args.batch_sizes or "1,8,16"), args.seconds or 10.0,
                        "cuda" if args.device == "auto" else args.device,
                        perf.engine_names(args.engines or ",".join(perf.ENGINES)))
    return perf.perf_score(data, args.threads)


def build_parser() -> argparse.ArgumentParser:
    from dataprep.constants import CSM_SAMPLE_RATE, MAX_CLIP_SECONDS, MIN_CLIP_SECONDS

    parser = argparse.ArgumentParser(prog="ttsbench", description=(
        "Measure whether fine-tuning and voice cloning make a TTS model sound like one speaker "
        "without hurting intelligibility."))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("prepare", help="recordings or URLs → a split voice dataset (train / eval / reference)",
                       description="Transcribe recordings with Whisper, cut them into clips on sentence ends, "
                                   "split them and save a Hugging Face dataset.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="audio/video files, folders of them, or URLs (yt-dlp)")
    p.add_argument("--out", required=True, help="dataset folder (load with datasets.load_from_disk)")
    p.add_argument("--asr", default="tiny.en", help="Whisper model: tiny.en (embedded, offline), an openai-whisper "
                   "name (turbo, large-v3 …) or .pt file, a CTranslate2 folder, or faster-whisper:NAME")
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--no-vad", dest="vad", action="store_false", help="transcribe non-speech too (by default "
                   "faster-whisper's Silero VAD skips it, so Whisper does not invent words over music or silence)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--corrections", help="YAML or TSV of wrong → right (whole word, case-insensitive; regex optional)")
    p.add_argument("--max-seconds", type=float, default=MAX_CLIP_SECONDS)
    p.add_argument("--min-seconds", type=float, default=MIN_CLIP_SECONDS)
    p.add_argument("--margin", type=float, default=0.2, help="silence kept around each clip, seconds")
    p.add_argument("--seed", type=int, default=0, help="fixes the splits")
    p.add_argument("--reference-clips", type=int, default=3)
    p.add_argument("--reference-seconds", type=float, default=10.0)
    p.add_argument("--eval-fraction", type=float, default=0.1)
    p.add_argument("--sample-rate", type=int, default=CSM_SAMPLE_RATE)
    p.add_argument("--speaker", type=int, default=0, help="speaker id (`source` column) for every source")
    p.add_argument("--speakers", help="YAML or TSV mapping source → speaker id")
    p.add_argument("--retranscribe", action="store_true", help="transcribe again; overwrites saved transcripts")
    p.add_argument("--cache-dir", help="where downloads are kept (default ~/.cache/ttsbench/downloads)")
    p.add_argument("--push-to-hub", metavar="REPO", help="push the dataset (private; token from HF_TOKEN)")
    p.add_argument("--public", action="store_true", help="with --push-to-hub: make the dataset public")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_prepare)

    p = sub.add_parser("synth-voice", help="an offline synthetic speaker's long recording (demo and tests)")
    p.add_argument("--out", required=True, help="WAV file to write; its text goes to FILE.txt")
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--voice", default="hibari", help="hibari (target voice) or espeak (a clearly different voice)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_synth_voice)

    p = sub.add_parser("bench", help="generate every variant × prompt × seed of a suite, score, summarise",
                       description="Run a suite (YAML); resumable: a re-run skips finished samples and scores.")
    p.add_argument("suite", metavar="SUITE.yaml")
    p.add_argument("--out", help="run directory (default: the suite's `out:`, else runs/<suite name>)")
    p.add_argument("--repair", action="store_true", help="first keep every intact line of a damaged samples.jsonl "
                   "or scores.jsonl (the original is kept beside it), then resume")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--plan", action="store_true", help="generate nothing: from an earlier run of this suite (its "
                   "--out), how many prompts each difference gate, and each --target, needs at 80 %% power")
    p.add_argument("--target", action="append", metavar="METRIC=DIFFERENCE",
                   help="with --plan: a difference to detect between each variant and base, e.g. speaker_sim=0.05")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="ray: the model's (variant, seed) batches as Ray actors' work, one GPU each (RAY_ADDRESS for "
                        "a cluster); this process alone writes the run directory")
    p.set_defaults(func=_bench)

    p = sub.add_parser("check", help="can this machine run a suite? models here or how to fetch them, backend, "
                       "device, work and rough time",
                       description="Checks without loading or downloading anything: the device and its free memory, "
                                   "the fine-tune backend that would be chosen, FFmpeg, and for a suite every model it "
                                   "needs (with the command that fetches a missing one), its dataset and its work. "
                                   "Exit 0 when it can run, 1 otherwise.")
    p.add_argument("suite", nargs="?", metavar="SUITE.yaml")
    p.set_defaults(func=_check)

    for command, families in (("tiny-model", ("csm", "orpheus")), ("tiny-csm", None)):
        p = sub.add_parser(command, help="a tiny random model (CSM ~300 k parameters; Orpheus: Llama + SNAC) with its "
                           "processor, for pipeline checks" if families else "tiny-model --family csm",
                           description="Build a tiny random model offline and save it like a real checkpoint; "
                                       "everything made with it is labelled 'tiny random model — pipeline check only'.")
        if families:
            p.add_argument("--family", choices=families, default="csm")
        p.add_argument("--out", required=True, help="checkpoint folder to write")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--size", choices=["tiny", "1b", "3b"], default="tiny",
                       help="1b (CSM): CSM-1B's configuration, random (1.77 B parameters, bf16); 3b (Orpheus): "
                            "Orpheus-3B's, with the 24 kHz SNAC's: GPU speed and memory only")
        p.set_defaults(func=_tiny_model)

    p = sub.add_parser("finetune", help="LoRA fine-tuning of CSM on a voice dataset (Unsloth on CUDA, else PEFT)",
                       description="Train LoRA adapters on the dataset's train split; eval loss on its eval "
                                   "split, TensorBoard logs and finetune.json in --out. Defaults are the "
                                   "workshop's (r 32, alpha 16, lr 2e-4, batch 2 × 4, warm-up 3, seed 3407).")
    p.add_argument("dataset", metavar="DATASET", help="`ttsbench prepare` folder, a saved dataset or a Hub id")
    p.add_argument("--base", required=True, help="sesame/csm-1b, unsloth/csm-1b or a checkpoint folder")
    p.add_argument("--out", required=True, help="folder for the adapter, finetune.json and tensorboard/")
    p.add_argument("--config", help="YAML of settings (any FinetuneOptions field); flags win over it")
    p.add_argument("--rows", type=int, help="train on this many rows (nested subsets for the same --seed)")
    p.add_argument("--max-steps", type=int, help="stop after this many optimiser steps (overrides --epochs)")
    p.add_argument("--epochs", type=float)
    p.add_argument("--seed", type=int, help="training seed and the --rows subset (default 3407)")
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--per-device-batch-size", type=int)
    p.add_argument("--gradient-accumulation-steps", type=int)
    p.add_argument("--r", type=int, help="LoRA rank")
    p.add_argument("--lora-alpha", type=int)
    p.add_argument("--backend", choices=["auto", "unsloth", "peft"])
    p.add_argument("--family", choices=["auto", "csm", "orpheus"], help="the model family (default: from the base "
                   "checkpoint's config.json)")
    p.add_argument("--duplicate-frames", choices=["keep", "drop"], help="Orpheus: drop frames whose first code "
                   "repeats, as Unsloth's notebook does (shortens audio against its text; default keep)")
    p.add_argument("--device", help="auto, cpu or cuda")
    p.add_argument("--gradient-checkpointing", action="store_true", default=None, help="PEFT backend: recompute "
                   "activations in the backward pass (Unsloth always does): CSM-1B on 2 × 30 s clips 17.8 → 7.7 GiB, "
                   "1.55× the time per step on an H100")
    p.add_argument("--depth-decoder-frames", type=float, help="fraction of frames the depth decoder trains on "
                   "(Sesame used 1/16 = 0.0625); default 1")
    p.add_argument("--max-audio-seconds", type=float, help="longer clips are filtered and counted (default 30)")
    p.add_argument("--eval-steps", type=int, help="eval loss every this many steps (default 10)")
    p.add_argument("--merge", action="store_true", help="also write a merged 16-bit checkpoint to OUT/merged")
    p.add_argument("--overwrite", action="store_true", help="replace a fine-tune with other settings already in OUT")
    p.add_argument("--push-to-hub", metavar="REPO", help="push the adapter (private; token from HF_TOKEN)")
    p.add_argument("--public", action="store_true", help="with --push-to-hub: make it public")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_finetune)

    p = sub.add_parser("report", help="one self-contained HTML report of one or more runs (or sweeps)",
                       description="Tables, paired comparisons, plots and audio players side by side. Runs scored "
                                   "with different ASR or speaker models are shown but not compared.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (`ttsbench bench --out`) or sweep folders")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write (report.json goes beside it)")
    p.add_argument("--audio-dir", help="copy audio into this folder beside the page instead of embedding it")
    p.add_argument("--audio-format", choices=["ogg", "wav"], default="ogg",
                   help="embedded audio: ogg (Vorbis, ~10× smaller) or wav (plays everywhere)")
    p.add_argument("--title")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file at -o that is not a report")
    p.set_defaults(func=_report)

    p = sub.add_parser("listen", help="a blind listening test of a run in your browser (answers to ratings.jsonl)",
                       description="Serves a local page: A/B preference (more like the reference voice? more "
                                   "natural?), MOS or similarity MOS, blind and randomised, with attention checks.")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--mode", choices=["ab", "mos", "smos"], default="ab")
    p.add_argument("--trials", type=int, default=20, help="opinions per rater (attention checks come on top)")
    p.add_argument("--seed", type=int, default=0, help="draws each rater's order, pairs and sides")
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1: this machine only (0.0.0.0 to share it)")
    p.add_argument("--port", type=int, default=8765)
    p.set_defaults(func=_listen)

    p = sub.add_parser("sweep", help="fine-tune and bench at several data sizes: the similarity learning curve",
                       description="For each size × seed: fine-tune on the nested subset, bench the fine-tuned "
                                   "variants; base, cloned and the anchors run once. Writes curve.csv, sweep.json "
                                   "(saturating fit, rows to reach the suite's `target:`) and report.html. Resumable.")
    p.add_argument("suite", metavar="SUITE.yaml")
    p.add_argument("--sizes", default="10,25,50,100", help="train rows per point (comma-separated)")
    p.add_argument("--seeds", default="0,1", help="seeds per size: they pick the rows and seed the training")
    p.add_argument("--out", help="sweep folder (default: the suite's out with -sweep)")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="ray: each point a Ray task (RAY_ADDRESS for a cluster)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_sweep)

    p = sub.add_parser("calibrate", help="the scorers on real speech: ASR WER and speaker-encoder EER",
                       description="DATA_DIR holds audio and transcripts.tsv (path, speaker, text).")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--asr", default="tiny.en")
    p.add_argument("--encoder", default="resemblyzer", help="resemblyzer, ecapa or wavlm")
    p.add_argument("--source", help="ecapa/wavlm weights: a local folder or a Hub id in the cache")
    p.add_argument("--normaliser", default="whisper", help="whisper or seedtts")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--effects", action="store_true",
                   help="every scorer's response to known damage (noise, babble, pitch, tempo, another speaker, "
                        "a cut, a tail) on each speaker's clips; the embedded scorers with default settings")
    p.add_argument("--clips", type=int, default=2, help="--effects: clips perturbed per speaker")
    p.add_argument("--references", type=int, default=3, help="--effects: each speaker's reference clips")
    p.add_argument("--seed", type=int, default=0, help="--effects: noise, babble and its talkers")
    p.add_argument("--all-metrics", action="store_true", help="--effects: every metric, not only the compared ones")
    p.set_defaults(func=_calibrate)

    p = sub.add_parser("perf", help="speed benchmarks, each against a baseline measured in the same run")
    p.add_argument("what", choices=["prepare", "score", "report", "generate", "gpu"], help="prepare: audio-seconds per "
                   "wall-second vs the notebook's way; score: audio-seconds scored per wall-second vs a per-file loop, "
                   "and cached; report: seconds to write the report of 4 variants × 20 prompts × 3 seeds; generate: CSM "
                   "audio-seconds per second at each --batch-sizes (to the frame cap), --base a checkpoint; gpu: the "
                   "fine-tune (Unsloth, PEFT, PEFT + gradient checkpointing) and generation figures of a CUDA GPU "
                   "into --out DIR")
    p.add_argument("--base", help="generate: a CSM checkpoint (e.g. `ttsbench tiny-csm --size 1b` output)")
    p.add_argument("--batch-sizes", default=None, help="generate, gpu: batch sizes to time (1,8; gpu: 1,8,16)")
    p.add_argument("--out", help="gpu: the folder for gpu.json, gpu.md, the random models and clips (resumable)")
    p.add_argument("--points", help="gpu: a comma list of points (default all: tiny/unsloth, tiny/peft, "
                   "tiny/peft+gc, 1b/unsloth, 1b/peft, 1b/peft+gc, 1b/generate, orpheus3b/generate)")
    p.add_argument("--steps", type=int, default=10, help="gpu: optimizer steps per training point (1b/unsloth "
                   "runs the workshop's 60)")
    p.add_argument("--engines", help="generate, gpu: a comma list of transformers, fast, compiled (default all three)")
    p.add_argument("--device", default="auto", help="generate: auto, cpu or cuda")
    p.add_argument("--data", default=None, help="a folder of speech (default ../shared/data/realspeech/ljspeech)")
    p.add_argument("--seconds", type=float, help="prepare: how much audio to process (120); generate: the frame "
                   "cap per sample (10)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0 = all)")
    p.add_argument("--hours", type=float, help="prepare: peak memory on a recording this long (e.g. 2) instead of speed")
    p.set_defaults(func=_perf)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    from dataprep.errors import OptionError, UserError, redact

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
