"""A served row: an OpenAI-compatible speech endpoint (`POST {url}/audio/speech`), as vLLM-Omni and
sglang-omni serve Qwen3-TTS, Fish Speech, CosyVoice, Voxtral TTS and others.

Each request sends `model`, `input`, and where the row sets them `voice`, `response_format`, `speed`,
`language` and the row's `extra` body keys (`task_type`, `instructions` …); a row that clones also
sends the reference clips as `ref_audio` (one WAV, as a base64 data URL: the clips joined with short
pauses) and their text as `ref_text`. Answers are decoded from wav, flac or pcm (16-bit, at the row's
`sample_rate`), and checked: it decodes, it is not empty, it is not absurdly long for its text.

Per row: at most `concurrency` requests at once, each with `timeout` seconds; connection errors,
timeouts, 429 (honouring `Retry-After`) and 5xx are retried `retries` times with back-off; any other
4xx is not. A sample that still fails is a failed sample with one line naming the row, the prompt and
what came back. The API key is read from the environment variable the row names, at request time,
and never written anywhere: it is cut out of every message.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ttsbench.core.errors import UserError, redact

from .base import Generated, Request, Synth

log = logging.getLogger(__name__)

PAUSE_SECONDS = 0.3  # between reference clips joined into one ref_audio
LONGEST = 4.0  # an answer longer than this many times the prompt's frame cap is refused as absurd
RETRY_CAP = 30.0  # seconds: the longest back-off, and the longest Retry-After honoured


class ServedError(Exception):
    """One request that failed for good: the message is the line the sample records."""


class _Retry(Exception):
    """A failure worth another try (connection, timeout, 429, 5xx); `wait` is the server's Retry-After."""

    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


class ServedSynth(Synth):
    """Generates a served row's samples by asking its endpoint; `spec` is the row's `ServedSpec`."""

    def __init__(self, spec, row: str = "served", generation=None):
        self.spec, self.row = spec, row
        self.sample_rate = int(spec.sample_rate)  # samples are kept at this rate (answers at another are resampled)
        self.generation = generation
        self.requests_sent = 0

    @property
    def id(self) -> str:
        return f"served:{self.spec.model}"

    # checks before any work
    @staticmethod
    def key_problem(spec) -> str:
        """Why the API key cannot be read ("" when it can, or when the row needs none)."""
        if spec.api_key_env and not os.environ.get(spec.api_key_env):
            return f"the environment variable {spec.api_key_env} (its API key) is not set; export it first"
        return ""

    def probe(self) -> str:
        """One short request: "" when the endpoint answers with audio, else one line saying what is wrong."""
        problem = self.key_problem(self.spec)
        if problem:
            return problem
        try:
            audio, _ = self._ask("Hello.", (), attempts=1)
        except ServedError as e:
            return str(e)
        return "" if audio.size else "answered with no audio"

    # generation
    def generate(self, requests: list[Request]) -> list[Generated]:
        with ThreadPoolExecutor(max_workers=max(1, int(self.spec.concurrency))) as pool:
            return list(pool.map(self._one, requests))

    def _one(self, request: Request) -> Generated:
        try:
            audio, rate = self._ask(request.text, request.context)
        except ServedError as e:
            return Generated(None, None, self._clean(f"row {self.row}, prompt {request.text[:60]!r}: {e}"))
        longest = LONGEST * max(request.max_seconds, 1.0)
        if len(audio) / rate > longest:
            return Generated(
                None,
                None,
                f"row {self.row}, prompt {request.text[:60]!r}: {len(audio) / rate:.1f} s of audio, more than "
                f"{longest:.0f} s for its text; the server ran away",
            )
        if rate != self.sample_rate:
            from ttsbench.dataprep.audio import resample

            audio = resample(audio, rate, self.sample_rate)
        return Generated(audio, None)

    def _ask(self, text: str, context: tuple, attempts: int | None = None) -> tuple[np.ndarray, int]:
        """(audio, its rate) for one text, retried as the row says; ServedError when it fails for good."""
        body = self._body(text, context)
        tries = (self.spec.retries + 1) if attempts is None else attempts
        last = ""
        for attempt in range(tries):
            try:
                return self._decode(self._post(body))
            except _Retry as e:
                last = str(e)
                if attempt + 1 < tries:
                    wait = e.wait if e.wait is not None else min(RETRY_CAP, 0.5 * 2**attempt)
                    time.sleep(min(RETRY_CAP, max(0.0, wait)))
        raise ServedError(f"{last} ({tries} tries)" if tries > 1 else last)

    def _body(self, text: str, context: tuple) -> bytes:
        spec = self.spec
        body: dict = {"model": spec.model, "input": text, "response_format": spec.response_format}
        if spec.voice:
            body["voice"] = spec.voice
        if spec.speed is not None:
            body["speed"] = spec.speed
        if spec.language:
            body["language"] = spec.language
        if context:
            body["ref_audio"] = _data_url(context, self.sample_rate)
            body["ref_text"] = " ".join(c.text for c in context)
        body.update(spec.extra)
        return json.dumps(body).encode()

    def _post(self, body: bytes) -> tuple[bytes, str]:
        """(the answer's bytes, its content type); _Retry or ServedError on failure."""
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = self.spec.url.rstrip("/") + "/audio/speech"
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        self.requests_sent += 1
        try:
            with urllib.request.urlopen(req, timeout=self.spec.timeout) as answer:
                return answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            detail = _snippet(e.read() if e.fp else b"")
            if e.code == 429 or e.code >= 500:
                raise _Retry(f"HTTP {e.code} {detail}", _retry_after(e.headers.get("Retry-After"))) from None
            hint = {
                401: "the API key is missing or wrong",
                403: "the API key may not use this model",
                404: "no such model or path; check `url` (…/v1) and `model`",
            }.get(e.code, "")
            raise ServedError(f"HTTP {e.code} {detail}" + (f" ({hint})" if hint else "")) from None
        except (urllib.error.URLError, OSError, TimeoutError) as e:  # refused, reset, timed out, cut short
            reason = getattr(e, "reason", e)
            raise _Retry(f"{type(reason).__name__}: {reason} from {self.spec.url}") from None
        except Exception as e:  # http.client.IncompleteRead and the like: a body cut short
            raise _Retry(f"{type(e).__name__}: the answer was cut short") from None

    def _decode(self, answer: tuple[bytes, str]) -> tuple[np.ndarray, int]:
        data, kind = answer
        if not data:
            raise ServedError("an empty answer (no audio)")
        if "json" in kind or "text" in kind or data[:1] in (b"{", b"<"):
            raise ServedError(f"not audio ({kind or 'no content type'}): {_snippet(data)}")
        if self.spec.response_format == "pcm":
            if len(data) % 2:
                raise _Retry("a pcm answer with an odd number of bytes (cut short)")
            audio = np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
            rate = int(self.spec.sample_rate)
        else:
            import soundfile

            try:
                audio, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
            except Exception:
                raise ServedError(
                    f"not {self.spec.response_format} audio ({kind or 'no content type'}): {_snippet(data)}"
                ) from None
            audio = audio.mean(axis=1)
        if audio.size == 0:
            raise ServedError("an answer with no samples")
        if not np.isfinite(audio).all():
            raise ServedError("an answer with non-finite samples")
        return audio.astype(np.float32), int(rate)

    def _clean(self, message: str) -> str:
        """The message with the API key cut out and URL credentials masked."""
        key = os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""
        if key:
            message = message.replace(key, "***")
        return redact(message)


def check_served(spec, row: str) -> None:
    """Raise UserError naming the row when its endpoint cannot be used (before any work)."""
    problem = ServedSynth(spec, row).probe()
    if problem:
        raise UserError(f"row {row}: {problem}")


def _data_url(context: tuple, rate: int) -> str:
    """The reference clips (at `rate`) joined into one 16-bit WAV with short pauses, as a base64 data URL."""
    import soundfile

    pieces = []
    pause = np.zeros(int(PAUSE_SECONDS * rate), np.float32)
    for c in context:
        pieces += [np.asarray(c.audio, np.float32), pause]
    buffer = io.BytesIO()
    soundfile.write(buffer, np.concatenate(pieces[:-1]) if pieces else pause, rate, format="WAV", subtype="PCM_16")
    return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the usual back-off instead


def _snippet(data: bytes) -> str:
    text = data[:160].decode("utf-8", "replace").replace("\n", " ").strip()
    return repr(text) if text else "(no body)"
