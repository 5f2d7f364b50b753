"""`ttsbench perf …`: speed benchmarks that print ratios against a baseline measured in the same run.

Timings depend on the machine; the ratios are what to compare. Nothing here is a test.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from dataprep.audio import speech_from_folder

REALSPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "realspeech" / "ljspeech"


def batch_sizes(text: str) -> list[int]:
    from dataprep.errors import UserError

    try:
        sizes = [int(b) for b in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise UserError(f"--batch-sizes {text!r}: give positive integers separated by commas, e.g. 1,8,16")
    return sizes


ENGINES = {"transformers": {"engine": "transformers"}, "fast": {"engine": "fast"},
           "compiled": {"engine": "fast", "compile": True}}  # the baseline first


def engine_names(text: str) -> list[str]:
    from dataprep.errors import UserError

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if not names or unknown:
        raise UserError(f"--engines {text!r}: choose from {', '.join(ENGINES)} (comma-separated)")
    return [n for n in ENGINES if n in names]  # the baseline first


def perf_generate(base: str | None, batch_sizes: list[int], seconds: float, device: str,
                  engines: list[str] = list(ENGINES)) -> int:
    """Frames and audio-seconds per wall-second of each engine at each batch size, and each ÷ transformers.

    Without `--base`: a tiny random CSM, which is overhead-bound on a CPU as CSM-1B is on a GPU at
    small batch (the goal: the fast loop ≥ 5× transformers at batch 1). `compiled` is the fast engine
    with `compile: true`; its first batch of each shape compiles, untimed, and that time is shown.
    """
    from finetune.model import build_tiny_csm, checkpoint_label

    with tempfile.TemporaryDirectory() as tmp:
        base = base or str(build_tiny_csm(Path(tmp) / "tiny-csm", seed=0))
        label = checkpoint_label(base)
        rates = {engine: generation_rates(base, batch_sizes, seconds, device, **ENGINES[engine]) for engine in engines}
    print(f"perf generate — {base}" + (f" [{label}]" if label else "") + f"; device {rates[engines[0]][0]['device']}; "
          f"every row to its {seconds:g} s cap (a random model never ends by itself)")
    print("frames/s: the decode loop alone (codes); audio-s/s: the whole request, codec decoding included; "
          "first s: the untimed first batch of that shape (compiling, for compiled)")
    print(f"{'batch':>5} {'engine':<13} {'frames/s':>9} {'audio-s/s':>10} {'wall s':>8} {'first s':>8}")
    for k, b in enumerate(batch_sizes):
        for engine in engines:
            r = rates[engine][k]
            print(f"{b:>5} {engine:<13} {r['frames_per_second']:>9.1f} {r['audio_seconds_per_second']:>10.2f} "
                  f"{r['wall_seconds']:>8.2f} {r['first_seconds']:>8.2f}")
        if "transformers" not in rates:
            continue
        slow = rates["transformers"][k]
        for engine in engines[1:]:
            r = rates[engine][k]
            ratio = r["frames_per_second"] / slow["frames_per_second"]
            whole = r["audio_seconds_per_second"] / slow["audio_seconds_per_second"]
            print(f"{b:>5} {engine} ÷ transformers: loop {ratio:.1f}×, whole request {whole:.1f}×" + (
                f"  (goal: loop ≥ 5× at batch 1 → {'met' if ratio >= 5 else 'MISSED'})" if b == 1 else ""))
    return 0


def generation_rates(base: str, batch_sizes: list[int], seconds: float, device: str, engine: str = "fast",
                     compile: bool = False) -> list[dict]:
    """Audio-seconds per wall-second at each batch size, each row capped at `seconds`.

    A random model never emits the end-of-audio frame, so every row runs to the cap: the timing
    is pure generation. `frames_per_second` counts the decode loop's time alone (the family's
    "codes" phase), `audio_seconds_per_second` the whole request (codec decoding included).
    """
    from .suite import GenerationOptions
    from .synth import Request, load_synth

    from finetune.families import family_of

    fam = family_of(base)
    options = GenerationOptions(engine=engine, compile=compile)
    synth = load_synth({"backend": fam.name, "checkpoint": base, "device": device}, None, options)
    text = "The quick brown fox jumps over the lazy dog near the river bank."
    sync = getattr(getattr(synth, "_torch", None), "cuda", None)
    sync = sync.synchronize if sync is not None and sync.is_available() else (lambda: None)
    rates = []
    for b in batch_sizes:
        # one seed, b prompts: the synthesizer batches rows of the same seed (as a bench's prompts are)
        requests = [Request(f"{text} Take {k + 1}.", 0, seconds) for k in range(b)]
        t = time.perf_counter()
        synth.generate(requests)  # this shape once untimed: first-use costs (compiling, allocator) are not the engine's
        sync()
        first = time.perf_counter() - t
        synth.family.timing = {}
        t = time.perf_counter()
        out = synth.generate(requests)
        sync()
        wall = time.perf_counter() - t
        audio = sum(len(g.audio) for g in out if g.audio is not None) / synth.sample_rate
        codes_s = synth.family.timing.get("codes", wall)
        synth.family.timing = None
        rates.append({"batch": b, "engine": options.engine_id, "audio_seconds": round(audio, 2),
                      "wall_seconds": round(wall, 3), "first_seconds": round(first, 2),
                      "audio_seconds_per_second": round(audio / wall, 3), "codes_seconds": round(codes_s, 3),
                      "frames_per_second": round(audio * fam.frame_rate / codes_s, 1),
                      "ran_to_cap": sum(not g.stopped for g in out),
                      "failed": sum(g.error is not None for g in out), "device": str(synth.device)})
    return rates


def perf_score(data: Path, threads: int) -> int:
    """wer + speaker_sim + signal over real speech: our runner (models loaded once, batched), a
    naive per-file loop (models loaded per file, as seed-tts-eval and Amphion scripts do), and
    our runner again on the finished run (everything cached)."""
    from types import SimpleNamespace

    from dataprep.asr import AsrOptions, FasterWhisperAsr
    from dataprep.audio import AUDIO_SUFFIXES, load_audio, write_wav
    from dataprep.constants import ASR_SAMPLE_RATE

    from .calibrate import read_transcripts
    from .records import Sample
    from .runner import _score
    from .scorers.speaker_sim import SpeakerEncoder
    from .scorers.wer import error_counts, make_normaliser
    from .store import RunStore

    rows = read_transcripts(data) if (data / "transcripts.tsv").exists() else [
        {"path": str(p.relative_to(data)), "text": ""} for p in sorted(data.rglob("*")) if p.suffix in AUDIO_SUFFIXES]
    audio = [load_audio(data / r["path"], ASR_SAMPLE_RATE) for r in rows]
    seconds = sum(len(a) for a in audio) / ASR_SAMPLE_RATE
    references = [(a, ASR_SAMPLE_RATE) for a in audio[:3]]
    asr_options = AsrOptions(threads=threads)
    with tempfile.TemporaryDirectory() as tmp:
        def fresh(name):
            store = RunStore(Path(tmp) / name)
            for k, (a, r) in enumerate(zip(audio, rows)):
                path = write_wav(store.audio_path("ground_truth", f"u{k:03d}", 0), a, ASR_SAMPLE_RATE)
                store.add_sample(Sample("ground_truth", f"u{k:03d}", 0, r["text"] or "x",
                                        str(path.relative_to(store.dir)), len(a) / ASR_SAMPLE_RATE))
            return store

        store = fresh("run")
        suite = SimpleNamespace(scorers={"wer": {"asr": asr_options.model, "batch_size": 8}, "speaker_sim": {},
                                         "signal": {}})

        normalise = make_normaliser("whisper")
        t = time.perf_counter()
        for a, r in zip(audio, rows):  # the naive loop: every model loaded for every file
            asr = FasterWhisperAsr(asr_options)
            hyp = "".join(s.text for s in asr.transcribe(a, word_timestamps=False))
            error_counts(normalise(r["text"] or "x"), normalise(hyp))
            enc = SpeakerEncoder("resemblyzer")
            centroid = np.mean([enc.embed(ref) for ref, _ in references], axis=0)
            float(enc.embed(a) @ centroid)
        naive_s = time.perf_counter() - t

        one_suite = SimpleNamespace(scorers={**suite.scorers, "wer": {**suite.scorers["wer"], "batch_size": 1}})
        t = time.perf_counter()  # the same, one sample per Whisper call, in a run directory of its own
        _score(one_suite, fresh("one"), [SimpleNamespace(audio=a, sample_rate=r) for a, r in references],
               lambda m: None, False)
        one_s = time.perf_counter() - t
        t = time.perf_counter()
        _score(suite, store, [SimpleNamespace(audio=a, sample_rate=r) for a, r in references], lambda m: None, False)
        cold_s = time.perf_counter() - t
        t = time.perf_counter()
        _score(suite, store, [SimpleNamespace(audio=a, sample_rate=r) for a, r in references], lambda m: None, False)
        cached_s = time.perf_counter() - t
    print(f"perf score — {seconds:.0f} s of real speech in {len(rows)} files from {data}; wer "
          f"({asr_options.model_id}) + speaker_sim (resemblyzer) + signal; {threads or os.cpu_count()} CPU threads")
    print(f"{'scoring':<46} {'wall s':>7} {'× real time':>12}")
    print(f"{'naive per-file loop (models loaded per file)':<46} {naive_s:>7.2f} {seconds / naive_s:>12.1f}")
    print(f"{'ttsbench runner, one sample per Whisper call':<46} {one_s:>7.2f} {seconds / one_s:>12.1f}")
    print(f"{'ttsbench runner, cold (models loaded once)':<46} {cold_s:>7.2f} {seconds / cold_s:>12.1f}")
    print(f"{'ttsbench runner, finished run (cached)':<46} {cached_s:>7.2f} {seconds / cached_s:>12.1f}")
    print(f"goals: ≥ 30× real time → {'met' if seconds / cold_s >= 30 else 'MISSED'} ({seconds / cold_s:.1f}×); "
          f"≥ 5× the naive loop → {'met' if naive_s / cold_s >= 5 else 'MISSED'} ({naive_s / cold_s:.1f}×); "
          f"cached ≥ 50× faster than cold → {'met' if cold_s / cached_s >= 50 else 'MISSED'} ({cold_s / cached_s:.0f}×); "
          f"batched ≥ 2× one at a time → {'met' if one_s / cold_s >= 2 else 'MISSED'} ({one_s / cold_s:.1f}×)")
    return 0


def perf_prepare(data: Path, seconds: float, threads: int) -> int:
    """Ours (word timestamps, sentence-aware chunking, dataset) vs the notebook's way (segment
    stacking without word timings, same Whisper model), on the same audio, model loaded once."""
    import datasets

    from dataprep.asr import AsrOptions, load_asr
    from dataprep.audio import write_wav
    from dataprep.constants import CSM_SAMPLE_RATE
    from dataprep.prepare import PrepareOptions, prepare

    datasets.disable_progress_bars()
    asr_options = AsrOptions(threads=threads)
    audio = speech_from_folder(data, seconds, CSM_SAMPLE_RATE)
    length = len(audio) / CSM_SAMPLE_RATE
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "speech.wav", audio, CSM_SAMPLE_RATE)
        t = time.perf_counter()
        asr = load_asr(asr_options)
        load_s = time.perf_counter() - t
        asr.transcribe(np.zeros(16000, np.float32))  # warm-up, shared by both

        # Each pipeline runs twice, alternating, and keeps its faster run: neither pays for the
        # other's warm-up, and a noisy neighbour on the machine hurts both alike.
        naive_s = ours_s = float("inf")
        for n in range(2):
            t = time.perf_counter()
            naive = _notebook_prepare(wav, asr, Path(tmp) / f"naive{n}")
            naive_s = min(naive_s, time.perf_counter() - t)
            options = PrepareOptions(out=Path(tmp) / f"ours{n}", asr=asr_options, progress=False)
            t = time.perf_counter()
            result = prepare([str(wav)], options)
            ours_s = min(ours_s, time.perf_counter() - t)
        t = time.perf_counter()
        prepare([str(wav)], replace(options))
        rerun_s = time.perf_counter() - t

    clips = result.manifest.clips
    print(f"perf prepare — {length:.0f} s of real speech from {data}, Whisper {asr_options.model_id} "
          f"(model load {load_s:.1f} s, not counted), {threads or os.cpu_count()} CPU threads, best of 2")
    print(f"{'pipeline':<44} {'wall s':>7} {'× real time':>12} {'clips':>6} {'lost':>6}")
    print(f"{'notebook: segments stacked, no word timings':<44} {naive_s:>7.2f} {length / naive_s:>12.1f} "
          f"{naive['clips']:>6} {naive['lost']:>6}")
    print(f"{'ttsbench prepare: words, sentence ends':<44} {ours_s:>7.2f} {length / ours_s:>12.1f} "
          f"{clips:>6} {len(result.manifest.dropped):>6}")
    print(f"{'ttsbench prepare, re-run (cached)':<44} {rerun_s:>7.2f} {length / rerun_s:>12.1f}")
    print(f"ours / notebook speed: {naive_s / ours_s:.2f}×   goal: ≥ 10× real time → "
          f"{'met' if length / ours_s >= 10 else 'MISSED'} ({length / ours_s:.1f}×)")
    print("'lost' = speech not in any clip: the notebook drops segments silently; ttsbench lists each dropped piece")
    return 0


def perf_prepare_long(data: Path, hours: float, threads: int) -> int:
    """Peak memory of `ttsbench prepare` on a recording of `hours` (44.1 kHz stereo WAV, real speech with a
    30 s stretch of non-speech every 5 minutes), beside the peak of decoding it whole as prepare used to."""
    import subprocess
    import sys

    import soundfile as sf

    from dataprep.constants import ASR_SAMPLE_RATE

    rate, speech = 44100, speech_from_folder(data, 300, 44100)  # five minutes of real speech, repeated
    t = np.arange(30 * rate) / rate
    noise = (0.05 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 0.5 * t)  # a hum that swells and fades …
             + 0.01 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)  # … over hiss
    with tempfile.TemporaryDirectory() as tmp:
        wav, quiet = Path(tmp) / "long.wav", []
        with sf.SoundFile(wav, "w", rate, 2, subtype="PCM_16") as f:  # written in blocks: this process stays small
            written = 0.0
            while written < hours * 3600:
                f.write(np.stack([speech, 0.9 * speech], axis=1))
                quiet.append((written + len(speech) / rate, written + (len(speech) + len(noise)) / rate))
                f.write(np.stack([noise, noise], axis=1))
                written += (len(speech) + len(noise)) / rate
        print(f"perf prepare --hours {hours:g}: {written / 3600:.2f} h of 44.1 kHz stereo WAV "
              f"({wav.stat().st_size / 2**30:.2f} GiB), real speech from {data} with 30 s of hum every 5 min")

        def peak_of(code: str) -> tuple[float, float]:
            """(peak resident GiB, wall s) of `code` in a fresh process, as that process reports it."""
            start = time.perf_counter()
            report = "\nimport resource; print('peak-kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
            proc = subprocess.run([sys.executable, "-c", code + report], capture_output=True, text=True)
            lines = [line for line in proc.stdout.splitlines() if line.startswith("peak-kib")]
            if proc.returncode or not lines:
                raise RuntimeError((proc.stderr.strip().splitlines() or ["no output"])[-1])
            return int(lines[-1].split()[1]) / 2**20, time.perf_counter() - start  # ru_maxrss: KiB on Linux

        # what prepare did until it streamed: every frame decoded into memory, joined, mixed down, resampled
        whole_gib, whole_s = peak_of(
            "import av, numpy as np\nfrom dataprep.audio import resample\n"
            f"with av.open({str(wav)!r}) as c:\n"
            "    s = c.streams.audio[0]; r = av.AudioResampler(format='fltp', rate=s.rate)\n"
            "    chunks = [o.to_ndarray() for f in c.decode(s) for o in r.resample(f)]\n"
            "a = np.concatenate(chunks, axis=1).astype(np.float32).mean(axis=0)\n"
            f"resample(a, s.rate, {ASR_SAMPLE_RATE})")
        out = Path(tmp) / "voice"
        ours_gib, ours_s = peak_of(
            "from ttsbench.cli import main\n"
            f"assert main(['prepare', {str(wav)!r}, '--out', {str(out)!r}, '--quiet']) == 0")
        transcript = json.loads(next((out / "transcripts").glob("*.json")).read_text())
        over = [w["word"] for s in transcript["segments"] for w in s["words"]
                if any(a + 0.5 < (w["start"] + w["end"]) / 2 < b - 0.5 for a, b in quiet)]
        from dataprep.records import PrepareManifest

        manifest = PrepareManifest.read(out)
    print(f"{'':<46} {'peak GiB':>9} {'wall s':>8}")
    print(f"{'decode whole + resample (prepare until now)':<46} {whole_gib:>9.2f} {whole_s:>8.1f}")
    print(f"{'ttsbench prepare, streamed (all of it)':<46} {ours_gib:>9.2f} {ours_s:>8.1f}")
    print(f"clips {manifest.clips}, words recognised over the "
          f"{len(quiet)} non-speech stretches: {len(over)} {over[:5] if over else ''} (VAD on)")
    print(f"goal: a {hours:g}-hour file under 2 GB peak → {'met' if ours_gib * 2**30 < 2e9 else 'MISSED'} "
          f"({ours_gib:.2f} GiB); the old way needed {whole_gib:.2f} GiB just to decode it")
    return 0


def _notebook_prepare(wav: Path, asr, out: Path) -> dict:
    """The notebook's way: Whisper segments (no word timings) stacked into clips of up to 30 s;
    a segment that would overflow starts a new clip; a segment longer than 30 s is lost."""
    import datasets

    from dataprep.audio import load_audio, wav_bytes
    from dataprep.constants import ASR_SAMPLE_RATE, CSM_SAMPLE_RATE, MAX_CLIP_SECONDS

    audio16 = load_audio(wav, ASR_SAMPLE_RATE)
    audio = load_audio(wav, CSM_SAMPLE_RATE)
    segments = asr.transcribe(audio16, word_timestamps=False)
    clips, current, lost = [], [], 0
    for s in segments:
        if s.end - s.start > MAX_CLIP_SECONDS:
            lost += 1
            continue
        if current and s.end - current[0].start > MAX_CLIP_SECONDS:
            clips.append(current)
            current = []
        current.append(s)
    if current:
        clips.append(current)
    rows = {"audio": [], "text": []}
    for c in clips:
        piece = audio[int(c[0].start * CSM_SAMPLE_RATE):int(c[-1].end * CSM_SAMPLE_RATE)]
        rows["audio"].append({"bytes": wav_bytes(piece, CSM_SAMPLE_RATE), "path": None})
        rows["text"].append("".join(s.text for s in c).strip())
    features = datasets.Features({"audio": datasets.Audio(sampling_rate=CSM_SAMPLE_RATE), "text": datasets.Value("string")})
    datasets.Dataset.from_dict(rows, features=features).save_to_disk(str(out))
    return {"clips": len(clips), "lost": lost}
