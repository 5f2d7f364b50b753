"""A row made by any Python function, for a system that is neither a model family nor served:

    callable: my_package.tts:speak        # in the suite's row

    def speak(texts: list[str], references: list[tuple[np.ndarray, int, str]], seed: int, **options):
        return [(audio, sample_rate) for text in texts]   # mono float arrays; None (or raise) fails one

`references` holds the reference clips (audio, its rate, its text) when the row clones, else it is
empty; `options` are the row's `options:`. A text whose answer is None, empty, not finite or not a
float array fails that sample alone, with one line naming the row and the prompt; an exception fails
the batch's samples one at a time (the runner retries them singly).
"""

from __future__ import annotations

import importlib

import numpy as np

from ttsbench.core.errors import UserError

from .base import Generated, Request, Synth

RATE = 24000  # the rate samples are kept at (answers at another are resampled)


def load_function(target: str, row: str):
    """The function `module:function` names; UserError naming the row when it cannot be imported."""
    module, _, name = str(target).partition(":")
    if not module or not name:
        raise UserError(f"row {row}: callable {target!r} is not 'module:function'; e.g. my_package.tts:speak")
    try:
        found = getattr(importlib.import_module(module), name)
    except ImportError as e:
        raise UserError(
            f"row {row}: callable {target}: cannot import {module} ({e}); install it or put it on PYTHONPATH"
        ) from None
    except AttributeError:
        raise UserError(f"row {row}: callable {target}: {module} has no {name}") from None
    if not callable(found):
        raise UserError(f"row {row}: callable {target}: {name} is not a function")
    return found


class CallableSynth(Synth):
    sample_rate = RATE

    def __init__(self, target: str, row: str, options: dict | None = None):
        self.target, self.row, self.options = target, row, dict(options or {})
        self.function = load_function(target, row)

    @property
    def id(self) -> str:
        return f"callable:{self.target}"

    def generate(self, requests: list[Request]) -> list[Generated]:
        from ttsbench.dataprep.audio import resample

        texts = [r.text for r in requests]
        context = requests[0].context if requests else ()
        references = [(np.asarray(c.audio, np.float32), RATE, c.text) for c in context]
        answers = self.function(texts, references, requests[0].seed if requests else 0, **self.options)
        if not isinstance(answers, (list, tuple)) or len(answers) != len(requests):
            got = f"{len(answers)} answers" if isinstance(answers, (list, tuple)) else type(answers).__name__
            raise UserError(
                f"row {self.row}: callable {self.target} returned {got} for {len(requests)} texts; "
                "return one (audio, sample_rate) per text"
            )
        out = []
        for request, answer in zip(requests, answers, strict=True):
            problem = _problem(answer)
            if problem:
                out.append(
                    Generated(
                        None,
                        None,
                        f"row {self.row}, prompt {request.text[:60]!r}: callable {self.target} returned {problem}",
                    )
                )
                continue
            audio, rate = answer
            audio = np.asarray(audio, np.float32).reshape(-1)
            out.append(Generated(resample(audio, int(rate), RATE) if int(rate) != RATE else audio, None))
        return out


def _problem(answer) -> str:
    """Why an answer is not audio ("" when it is)."""
    if answer is None:
        return "no audio (None)"
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return f"{type(answer).__name__}, not (audio, sample_rate)"
    audio, rate = answer
    try:
        audio = np.asarray(audio, np.float32)
    except (TypeError, ValueError):
        return f"audio of type {type(answer[0]).__name__}, not an array of floats"
    if not isinstance(rate, (int, np.integer)) or rate <= 0:
        return f"a sample rate of {rate!r}"
    if audio.size == 0:
        return "empty audio"
    if not np.isfinite(audio).all():
        return "audio with non-finite samples"
    return ""
