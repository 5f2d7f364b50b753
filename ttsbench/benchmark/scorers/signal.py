"""Cheap signal checks: duration, speaking rate, leading/trailing silence, clipping, stop failure."""

from __future__ import annotations

import numpy as np

from . import Metric, Scorer, Value


def _frames_db(audio: np.ndarray, rate: int, frame_s: float = 0.02) -> np.ndarray:
    n = max(1, int(frame_s * rate))
    frames = audio[: len(audio) // n * n].reshape(-1, n) if len(audio) >= n else audio[None, :]
    return 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-10)


class SignalScorer(Scorer):
    name = "signal"
    declares = (
        Metric("duration", label="Duration", better="", unit="s", digits=2),
        Metric("speaking_rate", label="Speaking rate", better="", unit="words/s", digits=2),
        Metric("leading_silence", label="Leading silence", better="lower", unit="s", digits=2),
        Metric("trailing_silence", label="Trailing silence", better="lower", unit="s", digits=2),
        Metric("clipping", label="Clipping", better="lower"),
        Metric(
            "stop_failure",
            label="Stop failure",
            better="lower",
            always=False,
            compared=True,  # generated rows only
            words=("hits the frame cap more often", "hits the frame cap less often", 100.0, " points of stop failures"),
            merge_words=("merging added", "merging removed", 100.0, " points of stop failures"),
        ),
        Metric(
            "stop_failure_rate", better="lower", of="stop_failure", headline=True, curve=True, label="Stop failures"
        ),
    )

    @classmethod
    def resolve(cls, settings):
        return {
            "silence_below_peak_db": float(settings.get("silence_below_peak_db", 40.0)),
            "frame_s": 0.02,
            "clip_level": 0.999,
        }

    def score(self, items):
        out = []
        for item in items:
            rate, audio = item.sample_rate, item.audio
            duration = len(audio) / rate
            db = _frames_db(audio, rate)
            voiced = np.flatnonzero(db > db.max() - self.settings["silence_below_peak_db"]) if db.size else []
            lead = float(voiced[0] * 0.02) if len(voiced) else duration
            trail = float((len(db) - 1 - voiced[-1]) * 0.02) if len(voiced) else duration
            speech = max(duration - lead - trail, 1e-6)
            words = len(item.text.split())
            values = [
                Value("duration", duration, {}),
                Value(
                    "speaking_rate",
                    words / speech if len(voiced) else None,
                    {"words": words, "speech_seconds": speech} if len(voiced) else {"error": "no speech found"},
                ),
                Value("leading_silence", lead, {}),
                Value("trailing_silence", trail, {}),
                Value(
                    "clipping", float(np.mean(np.abs(audio) >= self.settings["clip_level"])) if len(audio) else 0.0, {}
                ),
            ]
            if item.stopped is not None:  # anchors have no generation to stop
                values.append(Value("stop_failure", 0.0 if item.stopped else 1.0, {"stopped": item.stopped}))
            out.append(values)
        return out
