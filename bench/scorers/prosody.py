"""Is it the speaker's pitch and pace? F0 from Praat (praat-parselmouth), pauses from the intensity.

Per sample: median F0 (Hz), F0 range (5th to 95th percentile, semitones) and pause ratio (share of
the span from first to last sound spent in silences of 150 ms or more, silence being 30 dB under
the clip's peak level); and their distance from the dataset's reference clips, measured the same
way: `pitch_offset_st` (semitones between the sample's median F0 and the references'),
`pitch_range_diff_st` and `pause_ratio_diff` (absolute differences). Praat's autocorrelation
pitch tracker between `pitch_floor` and `pitch_ceiling` (default 60–500 Hz, for any adult voice);
chosen over CREPE for speed (about 5 ms per second of audio on one core against hundreds) and
because it needs no weights. A sample with under `min_voiced_seconds` (0.3 s) of voiced frames
gets no pitch values (a failed score with that reason); NaN or silent audio likewise.
"""

from __future__ import annotations

import numpy as np

from dataprep.errors import UserError

from . import Metric, Scorer, Value

_ST = dict(unit="st", digits=2)


class ProsodyScorer(Scorer):
    name = "prosody"
    uses_references = True
    declares = (
        Metric("pitch_offset_st", better="lower", **_ST, headline=True, compared=True, label="Pitch offset",
               words=("is further from the speaker's pitch", "is closer to the speaker's pitch", 1.0, " semitones"),
               merge_words=("merging moved the pitch away by", "merging moved the pitch closer by", 1.0,
                            " semitones")),
        Metric("pitch_range_diff_st", better="lower", **_ST, compared=True,
               words=("strays further from the speaker's pitch range", "keeps closer to the speaker's pitch range",
                      1.0, " semitones")),
        Metric("pause_ratio_diff", better="lower", compared=True,
               words=("pauses less like the speaker", "pauses more like the speaker", 100.0, " points")),
        Metric("f0_median", better="", unit="Hz", digits=1),
        Metric("f0_range_st", better="", **_ST),
        Metric("pause_ratio", better=""),
    )

    @classmethod
    def resolve(cls, settings):
        floor, ceiling = float(settings.get("pitch_floor", 60)), float(settings.get("pitch_ceiling", 500))
        if not 20 <= floor < ceiling <= 2000:
            raise UserError(f"scorer prosody: pitch_floor {floor:g} and pitch_ceiling {ceiling:g}: need "
                            "20 ≤ floor < ceiling ≤ 2000 Hz")
        from importlib.metadata import PackageNotFoundError, version

        try:
            praat = version("praat-parselmouth")
        except PackageNotFoundError:
            praat = None
        return {"pitch_floor": floor, "pitch_ceiling": ceiling, "silence_db": 30.0, "min_pause_s": 0.15,
                "min_voiced_seconds": float(settings.get("min_voiced_seconds", 0.3)), "praat_parselmouth": praat}

    @classmethod
    def availability(cls, settings):
        try:
            import parselmouth  # noqa: F401
        except ImportError:
            return False, "praat-parselmouth not installed", "pip install praat-parselmouth"
        return True, "Praat pitch tracker (praat-parselmouth), no weights", ""

    def __init__(self, settings, references=None):
        super().__init__(settings)
        try:
            import parselmouth
        except ImportError:
            raise UserError("scorer prosody: praat-parselmouth is missing: pip install praat-parselmouth "
                            "(or run `make install`)") from None
        self._praat = parselmouth
        found = [self._measure(a, r) for a, r in (references or [])]
        found = [f for f in found if isinstance(f, dict)]
        self.reference = ({k: float(np.mean([f[k] for f in found])) for k in ("median_st", "range_st", "pause")}
                          if found else None)

    def _measure(self, audio, rate):
        """{median_st, range_st, pause, f0_median, …} or the reason there is none."""
        audio = np.asarray(audio, np.float64)
        if not len(audio) or not np.isfinite(audio).all():
            return "empty or non-finite audio"
        if not np.abs(audio).max() > 0:
            return "silent"
        s = self.settings
        pitch = self._praat.Sound(audio, rate).to_pitch_ac(time_step=0.01, pitch_floor=s["pitch_floor"],
                                                            pitch_ceiling=s["pitch_ceiling"])
        f0 = pitch.selected_array["frequency"]
        voiced = f0[f0 > 0]
        if len(voiced) * 0.01 < s["min_voiced_seconds"]:
            return f"under {s['min_voiced_seconds']:g} s of voiced speech ({len(voiced) * 0.01:.2f} s)"
        low, median, high = np.percentile(voiced, [5, 50, 95])
        return {"f0_median": float(median), "median_st": float(12 * np.log2(median)),
                "range_st": float(12 * np.log2(high / low)), "pause": _pause_ratio(audio, rate, s),
                "voiced_seconds": round(len(voiced) * 0.01, 2)}

    def score(self, items):
        out = []
        for item in items:
            found = self._measure(item.audio, item.sample_rate)
            if not isinstance(found, dict):
                out.append([Value(m, None, {"error": found}) for m in self.metrics])
                continue
            ref = self.reference
            detail = {"voiced_seconds": found["voiced_seconds"]}
            values = [Value("f0_median", found["f0_median"], detail), Value("f0_range_st", found["range_st"], {}),
                      Value("pause_ratio", found["pause"], {})]
            if ref is None:
                why = {"error": "no reference clip with enough voiced speech"}
                values += [Value(m, None, why) for m in ("pitch_offset_st", "pitch_range_diff_st", "pause_ratio_diff")]
            else:
                values += [Value("pitch_offset_st", abs(found["median_st"] - ref["median_st"]),
                                 {"reference_f0_median": round(2 ** (ref["median_st"] / 12), 1)}),
                           Value("pitch_range_diff_st", abs(found["range_st"] - ref["range_st"]),
                                 {"reference_range_st": round(ref["range_st"], 2)}),
                           Value("pause_ratio_diff", abs(found["pause"] - ref["pause"]),
                                 {"reference_pause_ratio": round(ref["pause"], 3)})]
            out.append(values)
        return out


def _pause_ratio(audio: np.ndarray, rate: int, settings: dict) -> float:
    """Share of the first-to-last-sound span in silences of at least `min_pause_s`."""
    n = max(1, int(0.01 * rate))
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    db = 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-10)
    sound = np.flatnonzero(db > db.max() - settings["silence_db"])
    if len(sound) < 2:
        return 0.0
    quiet = db[sound[0]:sound[-1] + 1] <= db.max() - settings["silence_db"]
    paused, run = 0, 0
    for q in np.append(quiet, False):
        if q:
            run += 1
        else:
            paused += run if run * 0.01 >= settings["min_pause_s"] else 0
            run = 0
    return float(paused / len(quiet))
