"""Is it the speaker's pitch and pace? F0 from Praat (praat-parselmouth), pauses from the intensity.

Per sample: median F0 (Hz), F0 range (5th to 95th percentile, semitones) and pause ratio (share of
the span from first to last sound spent in silences of 150 ms or more, silence being 30 dB under
the clip's peak level); and their distance from the dataset's reference clips, measured the same
way: `pitch_offset_st` (semitones between the sample's median F0 and the references'),
`pitch_range_diff_st` and `pause_ratio_diff` (absolute differences); speaking rate
(`syllable_rate`, syllables per second from first to last sound) and `tempo_log_ratio`, the natural
log of the ratio of its articulation rate (syllables per second of sound, the pauses left out: those
are `pause_ratio`'s) to the reference clips' median — signed and scale-free: above zero the sample is
faster than the speaker, below zero slower (ln 1.25 = +0.22: a quarter faster). An unsigned
distance from the references' rate cannot tell a slowed sample from a clean one: the speaker's own
clips already differ from their references by as much as the effect (calibrate --effects: VCTK's
clean clips 0.70 syllables/s from their references, a 1.25 × slowdown 0.12). Syllables are counted as
voiced intensity peaks with a dip of 2 dB or more between them, above 25 dB under the clip's loudest (the
syllable-nuclei method of de Jong & Wempe, 2009): an estimate that needs no transcript (the references have none), and
counts fewer than a dictionary would (see the test), so compare rates rather than read counts. Praat's autocorrelation
pitch tracker between `pitch_floor` and `pitch_ceiling` (default 60–500 Hz, for any adult voice);
chosen over CREPE for speed (about 5 ms per second of audio on one core against hundreds) and
because it needs no weights. A sample with under `min_voiced_seconds` (0.3 s) of voiced frames
gets no pitch values (a failed score with that reason); NaN or silent audio likewise.
"""

from __future__ import annotations

import numpy as np

from ttsbench.core.errors import UserError

from . import Metric, Scorer, Value

_ST = dict(unit="st", digits=2)


class ProsodyScorer(Scorer):
    name = "prosody"
    uses_references = True
    revision = 2  # 2: tempo_log_ratio (signed, articulation rate) instead of syllable_rate_diff
    declares = (
        Metric(
            "pitch_offset_st",
            better="lower",
            **_ST,
            headline=True,
            compared=True,
            label="Pitch offset",
            words=("is further from the speaker's pitch", "is closer to the speaker's pitch", 1.0, " semitones"),
            merge_words=("merging moved the pitch away by", "merging moved the pitch closer by", 1.0, " semitones"),
        ),
        Metric(
            "pitch_range_diff_st",
            label="Pitch range difference",
            better="lower",
            **_ST,
            compared=True,
            words=(
                "strays further from the speaker's pitch range",
                "keeps closer to the speaker's pitch range",
                1.0,
                " semitones",
            ),
        ),
        Metric(
            "pause_ratio_diff",
            label="Pause ratio difference",
            better="lower",
            compared=True,
            words=("pauses less like the speaker", "pauses more like the speaker", 100.0, " points"),
        ),
        Metric(
            "tempo_log_ratio",
            better="",
            digits=2,
            compared=True,
            label="Tempo (log ratio)",
            words=(
                "speaks faster, against the speaker's pace, than",
                "speaks slower, against the speaker's pace, than",
                1.0,
                " (log ratio of syllable rates)",
            ),
            merge_words=("merging sped it up by", "merging slowed it down by", 1.0, " (log ratio)"),
        ),
        Metric("f0_median", label="F0 median", better="", unit="Hz", digits=1),
        Metric("f0_range_st", label="F0 range", better="", **_ST),
        Metric("pause_ratio", label="Pause ratio", better=""),
        Metric("syllable_rate", label="Syllable rate", better="", unit="syll/s", digits=2),
    )

    @classmethod
    def resolve(cls, settings):
        floor, ceiling = float(settings.get("pitch_floor", 60)), float(settings.get("pitch_ceiling", 500))
        if not 20 <= floor < ceiling <= 2000:
            raise UserError(
                f"scorer prosody: pitch_floor {floor:g} and pitch_ceiling {ceiling:g}: need "
                "20 ≤ floor < ceiling ≤ 2000 Hz"
            )
        from importlib.metadata import PackageNotFoundError, version

        try:
            praat = version("praat-parselmouth")
        except PackageNotFoundError:
            praat = None
        return {
            "pitch_floor": floor,
            "pitch_ceiling": ceiling,
            "silence_db": 30.0,
            "min_pause_s": 0.15,
            "syllable_below_peak_db": 25.0,
            "syllable_min_dip_db": 2.0,
            "min_voiced_seconds": float(settings.get("min_voiced_seconds", 0.3)),
            "praat_parselmouth": praat,
        }

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
            raise UserError(
                "scorer prosody: praat-parselmouth is missing: pip install praat-parselmouth (or run `make install`)"
            ) from None
        self._praat = parselmouth
        found = [self._measure(a, r) for a, r in (references or [])]
        found = [f for f in found if isinstance(f, dict)]
        keys = ("median_st", "range_st", "pause")
        self.reference = {k: float(np.mean([f[k] for f in found])) for k in keys} if found else None
        if self.reference is not None:  # the speaker's pace: the median clip's, so one odd clip moves it little
            self.reference["articulation"] = float(np.median([f["articulation"] for f in found]))

    def _measure(self, audio, rate):
        """{median_st, range_st, pause, f0_median, …} or the reason there is none."""
        audio = np.asarray(audio, np.float64)
        if not len(audio) or not np.isfinite(audio).all():
            return "empty or non-finite audio"
        if not np.abs(audio).max() > 0:
            return "silent"
        s = self.settings
        sound = self._praat.Sound(audio, rate)
        pitch = sound.to_pitch_ac(time_step=0.01, pitch_floor=s["pitch_floor"], pitch_ceiling=s["pitch_ceiling"])
        f0 = pitch.selected_array["frequency"]
        voiced = f0[f0 > 0]
        if len(voiced) * 0.01 < s["min_voiced_seconds"]:
            return f"under {s['min_voiced_seconds']:g} s of voiced speech ({len(voiced) * 0.01:.2f} s)"
        low, median, high = np.percentile(voiced, [5, 50, 95])
        pause = _pause_ratio(audio, rate, s)
        syllables = _syllable_rate(sound, pitch, s["syllable_below_peak_db"], s["syllable_min_dip_db"])
        return {
            "f0_median": float(median),
            "median_st": float(12 * np.log2(median)),
            "range_st": float(12 * np.log2(high / low)),
            "pause": pause,
            "rate": syllables,
            "articulation": syllables / max(1e-6, 1.0 - pause),  # per second of sound: the pauses left out
            "voiced_seconds": round(len(voiced) * 0.01, 2),
        }

    def score(self, items):
        out = []
        for item in items:
            found = self._measure(item.audio, item.sample_rate)
            if not isinstance(found, dict):
                out.append([Value(m, None, {"error": found}) for m in self.metrics])
                continue
            ref = self.reference
            detail = {"voiced_seconds": found["voiced_seconds"]}
            values = [
                Value("f0_median", found["f0_median"], detail),
                Value("f0_range_st", found["range_st"], {}),
                Value("pause_ratio", found["pause"], {}),
                Value("syllable_rate", found["rate"], {}),
            ]
            if ref is None:
                why = {"error": "no reference clip with enough voiced speech"}
                values += [
                    Value(m, None, why)
                    for m in ("pitch_offset_st", "pitch_range_diff_st", "pause_ratio_diff", "tempo_log_ratio")
                ]
            else:
                values += [
                    Value(
                        "pitch_offset_st",
                        abs(found["median_st"] - ref["median_st"]),
                        {"reference_f0_median": round(2 ** (ref["median_st"] / 12), 1)},
                    ),
                    Value(
                        "pitch_range_diff_st",
                        abs(found["range_st"] - ref["range_st"]),
                        {"reference_range_st": round(ref["range_st"], 2)},
                    ),
                    Value(
                        "pause_ratio_diff",
                        abs(found["pause"] - ref["pause"]),
                        {"reference_pause_ratio": round(ref["pause"], 3)},
                    ),
                    tempo(found["articulation"], ref["articulation"]),
                ]
            out.append(values)
        return out


def tempo(rate: float, reference: float) -> Value:
    """ln(articulation rate / the references'): > 0 faster than the speaker, < 0 slower; None when either has no
    syllable."""
    detail = {"articulation_rate": round(rate, 2), "reference_articulation_rate": round(reference, 2)}
    if rate <= 0 or reference <= 0:
        return Value(
            "tempo_log_ratio",
            None,
            {**detail, "error": "no syllable found" if rate <= 0 else "no syllable found in the reference clips"},
        )
    return Value("tempo_log_ratio", float(np.log(rate / reference)), detail)


def _pause_ratio(audio: np.ndarray, rate: int, settings: dict) -> float:
    """Share of the first-to-last-sound span in silences of at least `min_pause_s`."""
    n = max(1, int(0.01 * rate))
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    db = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-10)
    sound = np.flatnonzero(db > db.max() - settings["silence_db"])
    if len(sound) < 2:
        return 0.0
    quiet = db[sound[0] : sound[-1] + 1] <= db.max() - settings["silence_db"]
    paused, run = 0, 0
    for q in np.append(quiet, False):
        if q:
            run += 1
        else:
            paused += run if run * 0.01 >= settings["min_pause_s"] else 0
            run = 0
    return float(paused / len(quiet))


def _syllable_rate(sound, pitch, below_peak_db: float, min_dip_db: float) -> float:
    """Syllable nuclei per second from first to last sound: intensity peaks within `below_peak_db` of
    the loudest (99th percentile), separated by dips of `min_dip_db`, and voiced."""
    intensity = sound.to_intensity(minimum_pitch=50, time_step=0.01)
    db, times = intensity.values[0], intensity.xs()
    floor = np.percentile(db, 99) - below_peak_db
    kept: list[int] = []
    for k in range(1, len(db) - 1):
        if not (db[k] > floor and db[k] >= db[k - 1] and db[k] > db[k + 1]):
            continue
        if kept and db[kept[-1] : k + 1].min() > min(db[k], db[kept[-1]]) - min_dip_db:
            if db[k] > db[kept[-1]]:  # no dip between them: one nucleus, at the louder peak
                kept[-1] = k
            continue
        kept.append(k)
    nuclei = sum(1 for k in kept if np.isfinite(pitch.get_value_at_time(times[k])))
    loud = np.flatnonzero(db > floor)
    span = (times[loud[-1]] - times[loud[0]]) if len(loud) > 1 else 0.0
    return float(nuclei / span) if span > 0 else 0.0
