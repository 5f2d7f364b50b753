"""`ttsbench listen RUN_DIR`: a blind listening test served from the run directory.

Python's standard-library HTTP server (threaded) serves one page (HTML, CSS and script inline: no
network, no CDN), the run's audio under opaque tokens, and two JSON calls. Chosen over a web
framework because the test is local, a handful of raters at most, and it adds no dependency to a
harness that must install offline.

Each rater gets a plan of trials that follows from the mode, the seed and the rater's name
(reopening continues where that rater stopped: what is done is read back from `ratings.jsonl`).
Pairs (ab) or samples (mos, smos) are balanced over rows and prompts — every row pair (or row)
comes round once before any comes again, each time with the prompt it has had least — and their
order, the A/B sides and the seed are drawn from the seed. Attention checks are mixed in: in ab,
one sample against itself and the real speaker against the impostor; in mos/smos, a sample
rated earlier comes again. Row names never reach the page.
"""

from __future__ import annotations

import errno
import hashlib
import json
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import combinations
from pathlib import Path

import numpy as np

from ttsbench.core.errors import UserError

from ttsbench.benchmark.plan import anchor_rows
from ttsbench.benchmark.records import AB_ANSWERS, LISTEN_MODES, Rating
from ttsbench.benchmark.store import RunStore

PAGE_VERSION = "1"
CHECK_EVERY = 8  # one attention check per this many trials (at least one of each kind)


@dataclass(frozen=True)
class Trial:
    index: int
    samples: tuple  # sample keys (variant, prompt_id, seed): A then B, or one
    check: str = ""  # "", "identical" or "anchors"


def plan(keys: list[tuple[str, str, int]], mode: str, trials: int, seed: int, rater: str) -> list[Trial]:
    """The rater's trials: `trials` opinions, balanced over rows (pairs) and prompts, plus checks.
    Two rows with prompts in common are heard saying the same text; rows without (the ground truth
    reads held-out clips) are paired prompt by prompt, and the page shows both texts."""
    rng = np.random.default_rng([seed, zlib.crc32(rater.encode())])
    rows = sorted({k[0] for k in keys})
    seeds: dict[tuple[str, str], list[int]] = {}
    for v, p, s in keys:
        seeds.setdefault((v, p), []).append(s)
    prompts = {r: sorted({p for v, p in seeds if v == r}) for r in rows}
    units = list(combinations(rows, 2)) if mode == "ab" else [(r,) for r in rows]
    slots: dict[tuple, list[tuple]] = {}
    for u in units:
        common = sorted(set.intersection(*(set(prompts[r]) for r in u)))
        n = max(len(prompts[r]) for r in u)
        slots[u] = [(p,) * len(u) for p in common] or [
            tuple(prompts[r][i % len(prompts[r])] for r in u) for i in range(n)
        ]
    if not units:  # one row cannot be paired: said before any page is served (ListenTest), never a loop here
        raise UserError(f"mode {mode}: no trials can be made from rows {rows}; A/B needs two rows with audio")
    used = {u: [0] * len(slots[u]) for u in units}
    opinions: list[tuple] = []
    while len(opinions) < trials:
        for u in [units[i] for i in rng.permutation(len(units))]:
            least = min(used[u])
            k = int(rng.choice([i for i, n in enumerate(used[u]) if n == least]))
            used[u][k] += 1
            picked = [(r, p, int(rng.choice(seeds[(r, p)]))) for r, p in zip(u, slots[u][k], strict=False)]
            opinions.append(tuple(picked[i] for i in rng.permutation(len(picked))))
            if len(opinions) == trials:
                break
    out: list[Trial] = []
    ceiling, floor = anchor_rows(rows)
    kinds = ["identical", "anchors"] if mode == "ab" and ceiling and floor else ["identical"]
    at = set(int(x) for x in np.linspace(2, max(trials, 3), max(len(kinds), trials // CHECK_EVERY), endpoint=False))
    for i, samples in enumerate(opinions):
        if i in at:
            kind = kinds[len([t for t in out if t.check]) % len(kinds)]
            if kind == "anchors":
                pair = [
                    next(k for k in (keys[j] for j in rng.permutation(len(keys))) if k[0] == row)
                    for row in (ceiling, floor)
                ]
                out.append(Trial(len(out), tuple(pair[j] for j in rng.permutation(2)), "anchors"))
            else:
                earlier = [t for t in out if not t.check] or [Trial(0, samples)]
                shown = earlier[int(rng.integers(len(earlier)))].samples
                one = shown[int(rng.integers(len(shown)))]
                out.append(Trial(len(out), (one, one) if mode == "ab" else (one,), "identical"))
        out.append(Trial(len(out), samples))
    return out


@dataclass
class ListenTest:
    """The state behind the page: the run, the plans, the answers (loaded from ratings.jsonl)."""

    run_dir: Path
    mode: str = "ab"
    trials: int = 20
    seed: int = 0
    store: RunStore = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        if self.mode not in LISTEN_MODES:
            raise UserError(f"--mode {self.mode!r}: choose one of {', '.join(LISTEN_MODES)}")
        if self.trials < 1:
            raise UserError(f"--trials {self.trials}: at least 1")
        self.run_dir = Path(self.run_dir)
        self.store = RunStore(self.run_dir)
        if not (self.run_dir / "samples.jsonl").is_file():
            raise UserError(
                f"{self.run_dir}: not a run directory (no samples.jsonl); run `ttsbench bench SUITE.yaml` "
                "first and pass its --out folder"
            )
        samples = self.store.samples()
        playable = [s for s in samples if s.audio_path and (self.run_dir / s.audio_path).is_file()]
        if not playable:
            raise UserError(
                f"{self.run_dir}: the run has no audio to listen to ({len(samples)} samples, none with "
                "a file); let `ttsbench bench` finish generating first"
            )
        self.samples = {s.key: s for s in playable}
        rows = sorted({s.variant for s in playable})
        if self.mode == "ab" and len(rows) < 2:
            raise UserError(
                f"{self.run_dir}: only {', '.join(rows)} has audio, and A/B needs two rows; use --mode mos "
                "(naturalness) or --mode smos (similarity), which rate one row at a time"
            )
        self.references = sorted((self.run_dir / "audio" / "reference").glob("*.wav"))[:3]
        if self.mode in ("ab", "smos") and not self.references:
            raise UserError(
                f"{self.run_dir}: no reference clips in audio/reference/ to compare voices with; "
                "use --mode mos, or re-run the bench with a dataset that has reference clips"
            )
        salt = secrets.token_hex(8)  # tokens change with every start: nothing to guess, nothing to learn
        self.tokens = {
            hashlib.sha256(f"{salt}{k}".encode()).hexdigest()[:20]: self.run_dir / s.audio_path
            for k, s in self.samples.items()
        }
        self.token_of = {k: t for t, k in zip(self.tokens, self.samples, strict=False)}
        for i, path in enumerate(self.references):
            self.tokens[hashlib.sha256(f"{salt}ref{i}".encode()).hexdigest()[:20]] = path
        self.reference_tokens = list(self.tokens)[len(self.samples) :]
        self.plans: dict[str, list[Trial]] = {}
        self.done: dict[str, set[int]] = {}
        for r in self.store.ratings():
            if r.mode == self.mode and r.seed == self.seed:
                self.done.setdefault(r.rater, set()).add(r.trial)

    def plan_of(self, rater: str) -> list[Trial]:
        if rater not in self.plans:
            self.plans[rater] = plan(list(self.samples), self.mode, self.trials, self.seed, rater)
        return self.plans[rater]

    def state(self, rater: str) -> dict:
        trials = self.plan_of(rater)
        done = self.done.get(rater, set())
        todo = [t for t in trials if t.index not in done]
        out = {
            "version": PAGE_VERSION,
            "mode": self.mode,
            "questions": list(LISTEN_MODES[self.mode]),
            "total": len(trials),
            "done": len(trials) - len(todo),
            "finished": not todo,
            "reference": self.reference_tokens,
            "trial": None,
        }
        if todo:
            t = todo[0]
            out["trial"] = {
                "index": t.index,
                "prompts": [self.samples[k].text for k in t.samples],
                "audio": [self.token_of[k] for k in t.samples],
            }
        return out

    def answer(self, body: dict) -> dict:
        """Validate and store one answer; raises ValueError with what is wrong (nothing is written)."""
        rater = body.get("rater")
        if not isinstance(rater, str) or not rater.strip() or len(rater) > 64:
            raise ValueError("rater: a name of 1 to 64 characters")
        rater = rater.strip()
        trials = self.plan_of(rater)
        index = body.get("trial")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(trials):
            raise ValueError(f"trial: an integer from 0 to {len(trials) - 1}")
        answer = body.get("answer")
        questions = LISTEN_MODES[self.mode]
        if not isinstance(answer, dict) or set(answer) != set(questions):
            raise ValueError(f"answer: an object with exactly {', '.join(questions)}")
        for q, v in answer.items():
            ok = (
                v in AB_ANSWERS
                if self.mode == "ab"
                else (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5)
            )
            if not ok:
                raise ValueError(f"answer.{q}: " + ("a, b or same" if self.mode == "ab" else "an integer 1 to 5"))
        trial = trials[index]
        with self.lock:
            if index in self.done.get(rater, set()):
                raise FileExistsError(f"trial {index} of {rater} is already answered")
            self.store.add_rating(
                Rating(
                    rater,
                    self.mode,
                    index,
                    [list(k) for k in trial.samples],
                    answer,
                    trial.check,
                    round(time.time(), 3),
                    str(body.get("page_version", "")),
                    self.seed,
                )
            )
            self.done.setdefault(rater, set()).add(index)
        return self.state(rater)


def make_handler(test: ListenTest):
    page = (Path(__file__).parent / "page.html").read_text()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: answers are in ratings.jsonl
            pass

        def _send(self, status: int, body: bytes, kind: str):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: dict):
            self._send(status, json.dumps(data).encode(), "application/json")

        def do_GET(self):
            from urllib.parse import parse_qs, urlparse

            url = urlparse(self.path)
            if url.path == "/":
                return self._send(200, page.encode(), "text/html; charset=utf-8")
            if url.path == "/api/state":
                rater = (parse_qs(url.query).get("rater") or [""])[0].strip()
                if not rater or len(rater) > 64:
                    return self._json(400, {"error": "rater: a name of 1 to 64 characters"})
                return self._json(200, test.state(rater))
            token = url.path.removeprefix("/audio/").removesuffix(".wav")
            if url.path.startswith("/audio/") and token in test.tokens:  # tokens only: no path is ever joined
                return self._send(200, test.tokens[token].read_bytes(), "audio/wav")
            return self._json(404, {"error": "not found"})

        def do_POST(self):
            if self.path != "/api/answer":
                return self._json(404, {"error": "not found"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > 10000:
                    raise ValueError("body over 10 kB")
                body = json.loads(self.rfile.read(length) or b"null")
                if not isinstance(body, dict):
                    raise ValueError("a JSON object with rater, trial, answer")
                return self._json(200, test.answer(body))
            except FileExistsError as e:
                return self._json(409, {"error": str(e)})
            except (ValueError, json.JSONDecodeError) as e:
                return self._json(400, {"error": str(e)})

    return Handler


def serve(test: ListenTest, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    """A started server (call serve_forever; `server.test` is `test`); a port in use is a one-line UserError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise UserError(f"--port {port!r}: a port number from 0 to 65535 (0: any free one)")
    try:
        server = ThreadingHTTPServer((host, port), make_handler(test))
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {port} on {host} is in use (another `ttsbench listen`?); stop it or pass --port {port + 1}"
            ) from None
        raise UserError(f"cannot listen on {host}:{port}: {e.strerror}; pass --host/--port") from None
    server.daemon_threads = True
    server.test = test
    return server
