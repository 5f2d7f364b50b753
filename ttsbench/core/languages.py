"""Languages: the one language setting every stage reads (an ISO 639-1 code, as Whisper names them).

A language written without spaces between words (Chinese, Japanese, Thai …) is scored on characters: its
character error rate leads and WER stays beside it (`unspaced`).
"""

from __future__ import annotations

from .errors import OptionError

# Whisper's languages (openai-whisper's `tokenizer.LANGUAGES`, the codes only): what its multilingual
# models can be forced to
WHISPER = frozenset(
    (
        "en",
        "zh",
        "de",
        "es",
        "ru",
        "ko",
        "fr",
        "ja",
        "pt",
        "tr",
        "pl",
        "ca",
        "nl",
        "ar",
        "sv",
        "it",
        "id",
        "hi",
        "fi",
        "vi",
        "he",
        "uk",
        "el",
        "ms",
        "cs",
        "ro",
        "da",
        "hu",
        "ta",
        "no",
        "th",
        "ur",
        "hr",
        "bg",
        "lt",
        "la",
        "mi",
        "ml",
        "cy",
        "sk",
        "te",
        "fa",
        "lv",
        "bn",
        "sr",
        "az",
        "sl",
        "kn",
        "et",
        "mk",
        "br",
        "eu",
        "is",
        "hy",
        "ne",
        "mn",
        "bs",
        "kk",
        "sq",
        "sw",
        "gl",
        "mr",
        "pa",
        "si",
        "km",
        "sn",
        "yo",
        "so",
        "af",
        "oc",
        "ka",
        "be",
        "tg",
        "sd",
        "gu",
        "am",
        "yi",
        "lo",
        "uz",
        "fo",
        "ht",
        "ps",
        "tk",
        "nn",
        "mt",
        "sa",
        "lb",
        "my",
        "bo",
        "tl",
        "mg",
        "as",
        "tt",
        "haw",
        "ln",
        "ha",
        "ba",
        "jw",
        "su",
        "yue",
    )
)

# written without spaces between words: characters are the unit of error (seed-tts-eval scores zh this way)
UNSPACED = frozenset({"zh", "yue", "ja", "th", "lo", "km", "my", "bo"})

NAMES = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "hi": "Hindi",
    "ja": "Japanese",
    "zh": "Chinese",
    "ha": "Hausa",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "ko": "Korean",
    "th": "Thai",
    "tr": "Turkish",
    "ar": "Arabic",
}


def check_language(code: object, key: str = "language") -> str:
    """The code, checked: a language Whisper knows, as its two-letter ISO 639-1 code (yue, haw: Whisper's own)."""
    if not isinstance(code, str) or code not in WHISPER:
        known = ", ".join(sorted(NAMES))
        raise OptionError(key, f"{code!r}: an ISO 639-1 language code that Whisper knows, e.g. {known}")
    return code


def unspaced(code: str) -> bool:
    """Whether the language is written without spaces between words (CER leads)."""
    return code in UNSPACED


def name(code: str) -> str:
    """The language's English name, or its code."""
    return NAMES.get(code, code)
