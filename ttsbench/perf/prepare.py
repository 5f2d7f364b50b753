"""`ttsbench perf prepare`: dataset preparation speed against the notebook's way, and memory on a long recording."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ttsbench.dataprep.audio import speech_from_folder


def perf_prepare(data: Path, seconds: float, threads: int) -> int:
    """Ours (word timestamps, sentence-aware chunking, dataset) vs the notebook's way (segment
    stacking without word timings, same Whisper model), on the same audio, model loaded once."""
    import datasets

    from ttsbench.dataprep.asr import AsrOptions, load_asr
    from ttsbench.dataprep.audio import write_wav
    from ttsbench.dataprep.constants import DATASET_SAMPLE_RATE
    from ttsbench.dataprep.prepare import PrepareOptions, prepare

    datasets.disable_progress_bars()
    asr_options = AsrOptions(threads=threads)
    audio = speech_from_folder(data, seconds, DATASET_SAMPLE_RATE)
    length = len(audio) / DATASET_SAMPLE_RATE
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "speech.wav", audio, DATASET_SAMPLE_RATE)
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
    print(
        f"perf prepare — {length:.0f} s of real speech from {data}, Whisper {asr_options.model_id} "
        f"(model load {load_s:.1f} s, not counted), {threads or os.cpu_count()} CPU threads, best of 2"
    )
    print(f"{'pipeline':<44} {'wall s':>7} {'× real time':>12} {'clips':>6} {'lost':>6}")
    print(
        f"{'notebook: segments stacked, no word timings':<44} {naive_s:>7.2f} {length / naive_s:>12.1f} "
        f"{naive['clips']:>6} {naive['lost']:>6}"
    )
    print(
        f"{'ttsbench prepare: words, sentence ends':<44} {ours_s:>7.2f} {length / ours_s:>12.1f} "
        f"{clips:>6} {len(result.manifest.dropped):>6}"
    )
    print(f"{'ttsbench prepare, re-run (cached)':<44} {rerun_s:>7.2f} {length / rerun_s:>12.1f}")
    print(
        f"ours / notebook speed: {naive_s / ours_s:.2f}×   goal: ≥ 10× real time → "
        f"{'met' if length / ours_s >= 10 else 'MISSED'} ({length / ours_s:.1f}×)"
    )
    print("'lost' = speech not in any clip: the notebook drops segments silently; ttsbench lists each dropped piece")
    return 0


def perf_prepare_long(data: Path, hours: float, threads: int) -> int:
    """Peak memory of `ttsbench prepare` on a recording of `hours` (44.1 kHz stereo WAV, real speech with a
    30 s stretch of non-speech every 5 minutes), beside the peak of decoding it whole as prepare used to."""
    import subprocess
    import sys

    import soundfile as sf

    from ttsbench.dataprep.constants import ASR_SAMPLE_RATE

    rate, speech = 44100, speech_from_folder(data, 300, 44100)  # five minutes of real speech, repeated
    t = np.arange(30 * rate) / rate
    noise = (
        0.05 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 0.5 * t)  # a hum that swells and fades …
        + 0.01 * np.random.default_rng(0).standard_normal(len(t))
    ).astype(np.float32)  # … over hiss
    with tempfile.TemporaryDirectory() as tmp:
        wav, quiet = Path(tmp) / "long.wav", []
        with sf.SoundFile(wav, "w", rate, 2, subtype="PCM_16") as f:  # written in blocks: this process stays small
            written = 0.0
            while written < hours * 3600:
                f.write(np.stack([speech, 0.9 * speech], axis=1))
                quiet.append((written + len(speech) / rate, written + (len(speech) + len(noise)) / rate))
                f.write(np.stack([noise, noise], axis=1))
                written += (len(speech) + len(noise)) / rate
        print(
            f"perf prepare --hours {hours:g}: {written / 3600:.2f} h of 44.1 kHz stereo WAV "
            f"({wav.stat().st_size / 2**30:.2f} GiB), real speech from {data} with 30 s of hum every 5 min"
        )

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
            f"resample(a, s.rate, {ASR_SAMPLE_RATE})"
        )
        out = Path(tmp) / "voice"
        ours_gib, ours_s = peak_of(
            "from ttsbench.cli import main\n"
            f"assert main(['prepare', {str(wav)!r}, '--out', {str(out)!r}, '--quiet']) == 0"
        )
        transcript = json.loads(next((out / "transcripts").glob("*.json")).read_text())
        over = [
            w["word"]
            for s in transcript["segments"]
            for w in s["words"]
            if any(a + 0.5 < (w["start"] + w["end"]) / 2 < b - 0.5 for a, b in quiet)
        ]
        from ttsbench.dataprep.records import PrepareManifest

        manifest = PrepareManifest.read(out)
    print(f"{'':<46} {'peak GiB':>9} {'wall s':>8}")
    print(f"{'decode whole + resample (prepare until now)':<46} {whole_gib:>9.2f} {whole_s:>8.1f}")
    print(f"{'ttsbench prepare, streamed (all of it)':<46} {ours_gib:>9.2f} {ours_s:>8.1f}")
    print(
        f"clips {manifest.clips}, words recognised over the "
        f"{len(quiet)} non-speech stretches: {len(over)} {over[:5] if over else ''} (VAD on)"
    )
    print(
        f"goal: a {hours:g}-hour file under 2 GB peak → {'met' if ours_gib * 2**30 < 2e9 else 'MISSED'} "
        f"({ours_gib:.2f} GiB); the old way needed {whole_gib:.2f} GiB just to decode it"
    )
    return 0


def _notebook_prepare(wav: Path, asr, out: Path) -> dict:
    """The notebook's way: Whisper segments (no word timings) stacked into clips of up to 30 s;
    a segment that would overflow starts a new clip; a segment longer than 30 s is lost."""
    import datasets

    from ttsbench.dataprep.audio import load_audio, wav_bytes
    from ttsbench.dataprep.constants import ASR_SAMPLE_RATE, DATASET_SAMPLE_RATE, MAX_CLIP_SECONDS

    audio16 = load_audio(wav, ASR_SAMPLE_RATE)
    audio = load_audio(wav, DATASET_SAMPLE_RATE)
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
        piece = audio[int(c[0].start * DATASET_SAMPLE_RATE) : int(c[-1].end * DATASET_SAMPLE_RATE)]
        rows["audio"].append({"bytes": wav_bytes(piece, DATASET_SAMPLE_RATE), "path": None})
        rows["text"].append("".join(s.text for s in c).strip())
    features = datasets.Features(
        {"audio": datasets.Audio(sampling_rate=DATASET_SAMPLE_RATE), "text": datasets.Value("string")}
    )
    datasets.Dataset.from_dict(rows, features=features).save_to_disk(str(out))
    return {"clips": len(clips), "lost": lost}
