"""`synth-voice`: an offline long recording of a synthetic speaker, for the demo and the tests.

Two voices that a speaker encoder tells apart clearly:
- `hibari`: the `hibari-tts` voice shipped in its wheel (the target speaker of the demo);
- `espeak`: espeak-ng's male voice (the impostor row), from Debian's espeak-ng, in any language it speaks;
- `espeak-female`: its female variant, a target voice in languages hibari does not speak.
English text is generated in code from a seed: sentences of mixed length with numbers, names and
questions. Another language (`language`, ISO 639-1; espeak only) reads its shipped prompt set's 20
sentences, in a seeded order and again after each round — a recording for pipeline checks, whose texts
repeat and are those the benchmark's default prompts use. The text read is written beside the audio
(`<file>.txt`, one sentence a line).
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

VOICES = ("hibari", "espeak", "espeak-female")

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


def sentences(seed: int, language: str = "en"):
    """An endless, reproducible stream of sentences: varied English ones, or the language's prompt set's."""
    r = random.Random(seed)
    if language != "en":
        texts = _prompt_texts(language)
        while True:
            yield from r.sample(texts, len(texts))
    while True:
        yield r.choice(_TEMPLATES)(r)


def _prompt_texts(language: str) -> list[str]:
    import yaml

    path = Path(__file__).parents[1] / "benchmark" / "prompts" / f"default-{language}.yaml"
    if not path.is_file():
        have = sorted(p.stem.removeprefix("default-") for p in path.parent.glob("default-*.yaml"))
        raise UserError(f"--language {language}: synth-voice has sentences in en, {', '.join(have)}")
    return [p["text"] for p in yaml.safe_load(path.read_text(encoding="utf-8"))["prompts"]]


ESPEAK_VOICES = {"en": "en-us", "zh": "cmn", "pt": "pt-br"}  # a language's espeak-ng voice, where not its code


def synthesize(text: str, voice: str, seed: int = 0, speed: float = 1.0, language: str = "en") -> np.ndarray:
    """One sentence in `voice`, mono float32 at 24 kHz."""
    if voice == "hibari":
        return _hibari()(text, speed=speed, seed=seed)
    if voice in ("espeak", "espeak-female"):
        exe = shutil.which("espeak-ng")
        if not exe:
            raise UserError("voice 'espeak' needs espeak-ng: apt-get install espeak-ng (or run `make install`)")
        code = ESPEAK_VOICES.get(language, language)
        wav = subprocess.run(
            [
                exe,
                "-v",
                f"{code}+{'f2' if voice == 'espeak-female' else 'm3'}",
                "-s",
                str(int(165 * speed)),
                "--stdout",
                text,
            ],
            check=True,
            capture_output=True,
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


def synth_voice(
    out: str | Path,
    minutes: float,
    voice: str | None = None,
    seed: int = 0,
    overwrite: bool = False,
    language: str = "en",
) -> Path:
    """Write `minutes` of speech in `voice` (default: hibari in English, espeak in any other language) to `out`
    (24 kHz WAV) and its text to `out` + `.txt`.

    A file already at `out` is replaced only when synth-voice made it with these settings (then nothing is
    done) or with `overwrite`: a recording of the user's is never written over."""
    from ttsbench.core.errors import OptionError
    from ttsbench.core.languages import check_language

    try:
        check_language(language)
    except OptionError as e:
        raise UserError(f"--language {e.detail}") from None
    voice = voice or ("hibari" if language == "en" else "espeak")
    if voice not in VOICES:
        raise UserError(f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}")
    if voice == "hibari" and language != "en":
        raise UserError(f"--voice hibari speaks English only; for --language {language} use --voice espeak")
    if language != "en":
        _prompt_texts(language)  # a language without sentences: said before anything is written
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= 600:
        raise UserError(f"--minutes {minutes!r}: must be a number > 0 and ≤ 600")
    out = Path(out)
    if out.suffix.lower() != ".wav":
        raise UserError(f"--out {out}: synth-voice writes WAV; name the file FILE.wav")
    if out.is_dir():
        raise UserError(f"--out {out}: is a folder; name a .wav file inside it")
    settings = {
        "voice": voice,
        "minutes": minutes,
        "seed": seed,
        **({"language": language} if language != "en" else {}),
    }
    marker = out.with_name(out.name + ".ttsbench.json")
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
    for n, sentence in enumerate(sentences(seed, language)):
        if total >= minutes * 60:
            break
        audio = synthesize(sentence, voice, seed=seed * 100_003 + n, speed=r.uniform(0.92, 1.08), language=language)
        pause = np.zeros(int(DATASET_SAMPLE_RATE * (1.2 if n % 7 == 6 else r.uniform(0.25, 0.8))), np.float32)
        parts += [audio, pause]
        lines.append(sentence)
        total += (len(audio) + len(pause)) / DATASET_SAMPLE_RATE
    write_wav(out, np.concatenate(parts), DATASET_SAMPLE_RATE)
    out.with_name(out.name + ".txt").write_text("\n".join(lines) + "\n")
    import json

    marker.write_text(json.dumps(settings) + "\n")
    return out
