"""A small OpenAI-compatible speech server of offline voices, for the tests, `suites/served.yaml` and
`ttsbench perf served`: `POST /v1/audio/speech` with `model`, `input` (and `voice`, `response_format`:
wav, flac or pcm; the rest of the body is accepted and ignored).

Models (`model`):
- `hibari` — the `hibari-tts` voice bundled in its wheel (`heart`);
- `hibari-up2` — the same voice two semitones higher, its formants raised with it and its timing kept (Praat's
  "Change gender"): near, but another voice. Pitch alone would not do: resemblyzer's similarity to the
  hibari clips moved by 0.002 with the formants kept, and by about 0.1 with them raised (measured 2026-12-05);
- `espeak` — espeak-ng's English voice;
- `instant` — 0.5 s of a quiet tone, made at once: the harness's own overhead per request.

Faults for tests: `faults` maps a fault to how many requests still get it (each request takes the first
fault left): `429` (with `Retry-After: 1`), `500`, `stall` (answers after `stall_seconds`), `truncated` (a
body cut short of its Content-Length), `not_audio` (JSON with status 200). `api_key` makes every
request without `Authorization: Bearer KEY` a 401. Listens on 127.0.0.1 only.

    python -m ttsbench.perf.speech_server --port 8091      # serves until interrupted
"""

from __future__ import annotations

import argparse
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

MODELS = ("hibari", "hibari-up2", "espeak", "instant")
FAULTS = ("429", "500", "stall", "truncated", "not_audio")
RATE = 24000


@dataclass
class ServerState:
    """What the server does; the tests change `faults` between requests."""

    faults: dict[str, int] = field(default_factory=dict)
    api_key: str = ""
    stall_seconds: float = 5.0
    requests: int = 0  # answered so far (faults included)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self) -> str:
        with self.lock:
            self.requests += 1
            for name in FAULTS:
                if self.faults.get(name, 0) > 0:
                    self.faults[name] -= 1
                    return name
        return ""


def speak(model: str, text: str) -> np.ndarray:
    """`text` in one of MODELS' voices: mono float32 at 24 kHz."""
    if model == "instant":
        t = np.arange(RATE // 2) / RATE
        return (0.05 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    from ttsbench.dataprep.synthvoice import synthesize

    if model == "espeak":
        return synthesize(text, "espeak")
    audio = synthesize(text, "hibari")
    return _raise_pitch(audio, 2.0) if model == "hibari-up2" else audio


def _raise_pitch(audio: np.ndarray, semitones: float) -> np.ndarray:
    """The voice `semitones` higher, formants with it, timing kept (Praat's "Change gender", PSOLA)."""
    import parselmouth
    from parselmouth.praat import call

    ratio = 2 ** (semitones / 12)
    sound = parselmouth.Sound(audio.astype(np.float64), RATE)
    shifted = call(sound, "Change gender", 75, 600, ratio, 0, ratio, 1.0)
    return shifted.values[0].astype(np.float32)


def encode(audio: np.ndarray, fmt: str) -> tuple[bytes, str]:
    if fmt == "pcm":
        return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes(), "audio/pcm"
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, audio, RATE, format="FLAC" if fmt == "flac" else "WAV", subtype="PCM_16")
    return buffer.getvalue(), "audio/flac" if fmt == "flac" else "audio/wav"


def make_handler(state: ServerState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the tests read what they need from `state`
            pass

        def _send(self, code: int, body: bytes, kind: str, headers: dict | None = None, length: int | None = None):
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code: int, message: str, headers: dict | None = None):
            self._send(code, json.dumps({"error": {"message": message}}).encode(), "application/json", headers)

        def do_POST(self):  # noqa: N802  (http.server's name)
            if self.path.rstrip("/") != "/v1/audio/speech":
                return self._error(404, f"no route {self.path}")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if state.api_key and self.headers.get("Authorization") != f"Bearer {state.api_key}":
                return self._error(401, "invalid API key")
            fault = state.take_fault()
            if fault == "429":
                return self._error(429, "rate limited", {"Retry-After": "1"})
            if fault == "500":
                return self._error(500, "internal error")
            if fault == "not_audio":
                return self._send(200, b'{"status": "queued"}', "application/json")
            if fault == "stall":
                time.sleep(state.stall_seconds)
            model, text = str(body.get("model", "")), str(body.get("input", ""))
            if model not in MODELS:
                return self._error(404, f"model {model!r} does not exist; served: {', '.join(MODELS)}")
            if not text.strip():
                return self._error(400, "input is empty")
            data, kind = encode(speak(model, text), str(body.get("response_format", "wav")))
            if fault == "truncated":
                return self._send(200, data[: len(data) // 2], kind, length=len(data))
            self._send(200, data, kind)

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 makes a burst of 16 connections wait for the kernel's SYN retry (1 s)


def start(port: int = 0, state: ServerState | None = None) -> tuple[ThreadingHTTPServer, ServerState]:
    """A running server on 127.0.0.1 (`port` 0: a free one; `server.server_address[1]` says which), in a
    daemon thread; stop it with `server.shutdown()`."""
    state = state or ServerState()
    server = _Server(("127.0.0.1", port), make_handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--api-key", default="", help="require this bearer key")
    args = parser.parse_args(argv)
    server, _ = start(args.port, ServerState(api_key=args.api_key))
    print(f"serving {', '.join(MODELS)} on http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
