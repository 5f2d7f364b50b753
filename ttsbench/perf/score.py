"""`ttsbench perf score`: scoring speed against a per-file loop, one sample per Whisper call, and a cached re-run."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np


def perf_score(data: Path, threads: int) -> int:
    """wer + speaker_sim + signal over real speech: our runner (models loaded once, batched), a
    naive per-file loop (models loaded per file, as seed-tts-eval and Amphion scripts do), and
    our runner again on the finished run (everything cached)."""
    from types import SimpleNamespace

    from ttsbench.dataprep.asr import AsrOptions, FasterWhisperAsr
    from ttsbench.dataprep.audio import AUDIO_SUFFIXES, load_audio, write_wav
    from ttsbench.dataprep.constants import ASR_SAMPLE_RATE

    from ttsbench.calibration.calibrate import read_transcripts
    from ttsbench.benchmark.records import Sample
    from ttsbench.benchmark.runner import _score
    from ttsbench.benchmark.scorers.speaker_sim import SpeakerEncoder
    from ttsbench.benchmark.scorers.wer import error_counts, make_normaliser
    from ttsbench.benchmark.store import RunStore

    rows = (
        read_transcripts(data)
        if (data / "transcripts.tsv").exists()
        else [
            {"path": str(p.relative_to(data)), "text": ""}
            for p in sorted(data.rglob("*"))
            if p.suffix in AUDIO_SUFFIXES
        ]
    )
    audio = [load_audio(data / r["path"], ASR_SAMPLE_RATE) for r in rows]
    seconds = sum(len(a) for a in audio) / ASR_SAMPLE_RATE
    references = [(a, ASR_SAMPLE_RATE) for a in audio[:3]]
    asr_options = AsrOptions(threads=threads)
    with tempfile.TemporaryDirectory() as tmp:

        def fresh(name):
            store = RunStore(Path(tmp) / name)
            for k, (a, r) in enumerate(zip(audio, rows, strict=False)):
                path = write_wav(store.audio_path("ground_truth", f"u{k:03d}", 0), a, ASR_SAMPLE_RATE)
                store.add_sample(
                    Sample(
                        "ground_truth",
                        f"u{k:03d}",
                        0,
                        r["text"] or "x",
                        str(path.relative_to(store.dir)),
                        len(a) / ASR_SAMPLE_RATE,
                    )
                )
            return store

        store = fresh("run")
        suite = SimpleNamespace(
            scorers={"wer": {"asr": asr_options.model, "batch_size": 8}, "speaker_sim": {}, "signal": {}}
        )

        normalise = make_normaliser("whisper")
        t = time.perf_counter()
        for a, r in zip(audio, rows, strict=False):  # the naive loop: every model loaded for every file
            asr = FasterWhisperAsr(asr_options)
            hyp = "".join(s.text for s in asr.transcribe(a, word_timestamps=False))
            error_counts(normalise(r["text"] or "x"), normalise(hyp))
            enc = SpeakerEncoder("resemblyzer")
            centroid = np.mean([enc.embed(ref) for ref, _ in references], axis=0)
            float(enc.embed(a) @ centroid)
        naive_s = time.perf_counter() - t

        one_suite = SimpleNamespace(scorers={**suite.scorers, "wer": {**suite.scorers["wer"], "batch_size": 1}})
        t = time.perf_counter()  # the same, one sample per Whisper call, in a run directory of its own
        _score(
            one_suite,
            fresh("one"),
            [SimpleNamespace(audio=a, sample_rate=r) for a, r in references],
            lambda m: None,
            False,
        )
        one_s = time.perf_counter() - t
        t = time.perf_counter()
        _score(suite, store, [SimpleNamespace(audio=a, sample_rate=r) for a, r in references], lambda m: None, False)
        cold_s = time.perf_counter() - t
        t = time.perf_counter()
        _score(suite, store, [SimpleNamespace(audio=a, sample_rate=r) for a, r in references], lambda m: None, False)
        cached_s = time.perf_counter() - t
    print(
        f"perf score — {seconds:.0f} s of real speech in {len(rows)} files from {data}; wer "
        f"({asr_options.model_id}) + speaker_sim (resemblyzer) + signal; {threads or os.cpu_count()} CPU threads"
    )
    print(f"{'scoring':<46} {'wall s':>7} {'× real time':>12}")
    print(f"{'naive per-file loop (models loaded per file)':<46} {naive_s:>7.2f} {seconds / naive_s:>12.1f}")
    print(f"{'ttsbench runner, one sample per Whisper call':<46} {one_s:>7.2f} {seconds / one_s:>12.1f}")
    print(f"{'ttsbench runner, cold (models loaded once)':<46} {cold_s:>7.2f} {seconds / cold_s:>12.1f}")
    print(f"{'ttsbench runner, finished run (cached)':<46} {cached_s:>7.2f} {seconds / cached_s:>12.1f}")
    print(
        f"goals: ≥ 30× real time → {'met' if seconds / cold_s >= 30 else 'MISSED'} ({seconds / cold_s:.1f}×); "
        f"≥ 5× the naive loop → {'met' if naive_s / cold_s >= 5 else 'MISSED'} ({naive_s / cold_s:.1f}×); "
        f"cached ≥ 50× faster than cold → {'met' if cold_s / cached_s >= 50 else 'MISSED'} ({cold_s / cached_s:.0f}×); "
        f"batched ≥ 2× one at a time → {'met' if one_s / cold_s >= 2 else 'MISSED'} ({one_s / cold_s:.1f}×)"
    )
    return 0
