"""`ttsbench perf report`: seconds to write the report of a full-size run, ogg vs wav audio."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np


def perf_report(data: Path, prompts: int = 20, seeds: int = 3) -> int:
    """Report time for a run of 4 variants × 20 prompts × 3 seeds (+ anchors) built from real speech,
    with audio embedded as Ogg Vorbis, against the same report embedding plain WAV (no encoding)."""
    from ttsbench.benchmark.plan import VARIANTS, GenerationOptions, ModelSpec, Prompt, PromptSet, Suite
    from ttsbench.benchmark.records import RunRecord, Sample, Score, ScoreRecord
    from ttsbench.benchmark.runner import write_summary
    from ttsbench.benchmark.store import RunStore, audio_sha
    from ttsbench.dataprep.audio import speech_from_folder, write_wav
    from ttsbench.reports.html import build_report

    rng = np.random.default_rng(0)
    variants = ["base", "cloned", "finetuned", "finetuned_cloned"]
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        store = RunStore(run_dir)
        speech = speech_from_folder(data, 400.0, 24000)
        text = "the quick brown fox jumps over the lazy dog near the river bank"
        rows = [(v, f"p{k:02d}", s) for v in variants for k in range(prompts) for s in range(seeds)]
        rows += [("impostor", f"p{k:02d}", 0) for k in range(prompts)] + [
            ("ground_truth", f"e{k}", 0) for k in range(5)
        ]
        for v, p, seed in rows:
            start = int(rng.integers(0, len(speech) - 6 * 24000))
            audio = speech[start : start + int(rng.uniform(3, 6) * 24000)]
            path = write_wav(store.audio_path(v, p, seed), audio, 24000)
            sha = audio_sha(path)
            store.add_sample(
                Sample(v, p, seed, text, str(path.relative_to(run_dir)), len(audio) / 24000, True, audio_sha=sha)
            )
            hyp = " ".join(w for w in text.split() if rng.random() > 0.1)
            words = len(text.split())
            wer = {
                "transcript": hyp,
                "ref_norm": text,
                "hyp_norm": hyp,
                "substitutions": 0,
                "insertions": 0,
                "deletions": words - len(hyp.split()),
                "ref_words": words,
            }
            for metric, value, detail, scorer in (
                ("wer", (words - len(hyp.split())) / words, wer, "wer:x"),
                ("speaker_sim", float(rng.uniform(0.5, 0.9)), {}, "speaker_sim:x"),
                ("stop_failure", 0.0, {}, "signal:x"),
            ):
                store.add_scores(
                    ScoreRecord(v, p, seed, scorer, sha, (Score(v, p, seed, metric, value, detail, scorer),))
                )
        write_wav(store.audio_path("reference", "ref-1", 0), speech[: 10 * 24000], 24000)
        plan = Suite(
            name="perf",
            model=ModelSpec("fake"),
            variants=tuple(VARIANTS[v] for v in variants),
            prompts=PromptSet("perf", "1", tuple(Prompt(f"p{k:02d}", text) for k in range(prompts))),
            anchors=(VARIANTS["ground_truth"], VARIANTS["impostor"]),
            seeds=tuple(range(seeds)),
            generation=GenerationOptions(),
            scorers={"wer": {}, "speaker_sim": {}, "signal": {}},
        )
        RunRecord(suite="perf", suite_path="", plan=plan, config_key="", created="").write(run_dir)
        write_summary(store)  # as `bench` leaves it
        timings = {}
        for fmt in ("wav", "ogg"):
            t = time.perf_counter()
            result = build_report([run_dir], Path(tmp) / f"report-{fmt}.html", audio_format=fmt)
            timings[fmt] = (time.perf_counter() - t, result.path.stat().st_size / 2**20, result.audio_elements)
    print(
        f"report of {len(variants)} variants × {prompts} prompts × {seeds} seeds + anchors "
        f"({timings['ogg'][2]} audio players, 3–6 s each, {os.cpu_count()} CPUs):"
    )
    for fmt, (seconds, mib, _) in timings.items():
        print(f"  audio as {fmt:<4} {seconds:6.2f} s  {mib:6.1f} MiB")
    print(
        f"ogg/wav: {timings['ogg'][0] / timings['wav'][0]:.1f}× the time, "
        f"{timings['ogg'][1] / timings['wav'][1]:.2f}× the size (goal: a few seconds)"
    )
    return 0
