"""`synth-voice`: an offline long recording of a synthetic speaker, for the demo and the tests.

Two voices that a speaker encoder tells apart clearly:
- `hibari`: the `hibari-tts` voice shipped in its wheel (the target speaker of the demo);
- `espeak`: espeak-ng's male English voice (the impostor row), from Debian's espeak-ng.
The text is generated in code from a seed: sentences of mixed length with numbers, names and
questions. The text read is written beside the audio (`<file>.txt`, one sentence a line).
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .audio import read_wav_bytes, resample, write_wav
from .constants import DATASET_SAMPLE_RATE
from ttsbench.core.errors import UserError

VOICES = ("hibari", "espeak")

_NAMES = [
    "Alice Johnson",
    "Rahul Mehta",
    "Sofia Garcia",
    "Tom Becker",
    "Mei Lin",
    "Oliver Grant",
    "Amara Okafor",
    "Lucas Moreau",
    "Hannah Weiss",
    "Daniel Price",
    "Priya Nair",
    "Jonas Berg",
]
_FIRST = [n.split()[0] for n in _NAMES]
_PLACES = [
    "Lisbon",
    "Chicago",
    "the harbour",
    "the old library",
    "Nairobi",
    "the train station",
    "Edinburgh",
    "the market",
    "Toronto",
    "the mountain village",
]
_THINGS = [
    "the report",
    "a small garden",
    "the new bridge",
    "an old piano",
    "the budget",
    "a paper map",
    "the weather station",
    "a box of letters",
    "the evening news",
    "a bicycle",
]
_VERBS = ["finished", "repaired", "painted", "found", "described", "measured", "carried", "sold", "opened"]
_ADJ = ["quiet", "bright", "careful", "curious", "patient", "cheerful", "tired", "gentle"]
_MONTHS = ["January", "March", "April", "June", "August", "October", "November", "December"]

_TEMPLATES = [
    lambda r: f"{r.choice(_NAMES)} {r.choice(_VERBS)} {r.choice(_THINGS)} in {r.choice(_PLACES)}.",
    lambda r: f"Thank you, {r.choice(_FIRST)}.",
    lambda r: "Good morning.",
    lambda r: f"Did {r.choice(_FIRST)} really travel to {r.choice(_PLACES)} last week?",
    lambda r: f"The ticket cost {r.randint(3, 95)} dollars and {r.randint(10, 99)} cents.",
    lambda r: (
        f"We counted {r.randint(12, 980)} birds near {r.choice(_PLACES)} on {r.choice(_MONTHS)} {r.randint(1, 28)}."
    ),
    lambda r: (
        f"In {r.randint(1890, 2024)}, a {r.choice(_ADJ)} engineer named {r.choice(_NAMES)} "
        f"{r.choice(_VERBS)} {r.choice(_THINGS)}, and nobody in {r.choice(_PLACES)} could believe it."
    ),
    lambda r: f"Why would anyone leave {r.choice(_THINGS)} outside in the rain?",
    lambda r: f"Please call {r.choice(_FIRST)} before {r.randint(1, 11)} o'clock.",
    lambda r: (
        f"It was a {r.choice(_ADJ)} afternoon, the kind of day when {r.choice(_FIRST)} liked to walk "
        f"slowly along {r.choice(_PLACES)} and think about nothing in particular."
    ),
    lambda r: f"How many people were waiting at {r.choice(_PLACES)}?",
    lambda r: f"About {r.randint(2, 9)} out of {r.randint(10, 20)} visitors said the tour was too short.",
    lambda r: "Absolutely not.",
    lambda r: (
        f"{r.choice(_FIRST)} said that {r.choice(_THINGS)} would be ready by {r.choice(_MONTHS)}, "
        f"but the work took {r.randint(2, 14)} weeks longer than planned."
    ),
    lambda r: f"The temperature dropped to {r.randint(2, 19)} degrees overnight.",
    lambda r: f"Could you describe {r.choice(_THINGS)} to {r.choice(_FIRST)}, please?",
    lambda r: f"My friend {r.choice(_NAMES)} lives {r.randint(2, 60)} kilometres from {r.choice(_PLACES)}.",
    lambda r: "That is a very good question.",
    lambda r: (
        f"After the meeting, {r.choice(_FIRST)} and {r.choice(_FIRST)} {r.choice(_VERBS)} "
        f"{r.choice(_THINGS)} together, then went home."
    ),
]


def sentences(seed: int):
    """An endless, reproducible stream of varied English sentences."""
    r = random.Random(seed)
    while True:
        yield r.choice(_TEMPLATES)(r)


def synthesize(text: str, voice: str, seed: int = 0, speed: float = 1.0) -> np.ndarray:
    """One sentence in `voice`, mono float32 at 24 kHz."""
    if voice == "hibari":
        return _hibari()(text, speed=speed, seed=seed)
    if voice == "espeak":
        exe = shutil.which("espeak-ng")
        if not exe:
            raise UserError("voice 'espeak' needs espeak-ng: apt-get install espeak-ng (or run `make install`)")
        wav = subprocess.run(
            [exe, "-v", "en-us+m3", "-s", str(int(165 * speed)), "--stdout", text], check=True, capture_output=True
        ).stdout
        audio, rate = read_wav_bytes(wav)
        return resample(audio * 0.8, rate, DATASET_SAMPLE_RATE)
    raise UserError(f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}")


_HIBARI = None


def _hibari():
    global _HIBARI
    if _HIBARI is None:
        try:
            from hibari import Hibari
        except ImportError:
            raise UserError("voice 'hibari' needs hibari-tts: pip install hibari-tts (or run `make install`)") from None
        _HIBARI = Hibari()
    return _HIBARI


def synth_voice(out: str | Path, minutes: float, voice: str = "hibari", seed: int = 0, overwrite: bool = False) -> Path:
    """Write `minutes` of speech in `voice` to `out` (24 kHz WAV) and its text to `out` + `.txt`.

    A file already at `out` is replaced only when synth-voice made it with these settings (then nothing is
    done) or with `overwrite`: a recording of the user's is never written over."""
    if voice not in VOICES:
        raise UserError(f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}")
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= 600:
        raise UserError(f"--minutes {minutes!r}: must be a number > 0 and ≤ 600")
    out = Path(out)
    if out.suffix.lower() != ".wav":
        raise UserError(f"--out {out}: synth-voice writes WAV; name the file FILE.wav")
    if out.is_dir():
        raise UserError(f"--out {out}: is a folder; name a .wav file inside it")
    marker, settings = out.with_name(out.name + ".ttsbench.json"), {"voice": voice, "minutes": minutes, "seed": seed}
    if out.exists() and not overwrite:
        import json

        made = json.loads(marker.read_text()) if marker.is_file() else None
        if made == settings:
            return out  # made by synth-voice with these settings: up to date
        raise UserError(
            f"--out {out}: already exists and was not made by synth-voice with these settings; "
            "pass another --out, or --overwrite to replace it"
        )
    r = random.Random(f"pauses:{seed}")
    parts, lines, total = [], [], 0.0
    for n, sentence in enumerate(sentences(seed)):
        if total >= minutes * 60:
            break
        audio = synthesize(sentence, voice, seed=seed * 100_003 + n, speed=r.uniform(0.92, 1.08))
        pause = np.zeros(int(DATASET_SAMPLE_RATE * (1.2 if n % 7 == 6 else r.uniform(0.25, 0.8))), np.float32)
        parts += [audio, pause]
        lines.append(sentence)
        total += (len(audio) + len(pause)) / DATASET_SAMPLE_RATE
    write_wav(out, np.concatenate(parts), DATASET_SAMPLE_RATE)
    out.with_name(out.name + ".txt").write_text("\n".join(lines) + "\n")
    import json

    marker.write_text(json.dumps(settings) + "\n")
    return out
