"""`ttsbench listen`: the blind listening test — answers stored as given, refused when malformed,
nothing lost across a killed server or a reload, raters kept apart, only the run's audio served,
and a real browser (Debian's chromium via Selenium) completing a session by clicking and by keys."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ttsbench.listening.server import ListenTest, plan, serve
from plans import plan_of
from ttsbench.benchmark.records import Sample, Score, ScoreRecord
from ttsbench.benchmark.store import RunStore, audio_sha
from ttsbench.listening.analysis import summary_of
from ttsbench.dataprep.audio import write_wav

ROWS = ("base", "finetuned_cloned", "ground_truth", "impostor")
PROMPTS = {"p1": "Good evening, everyone.", "p2": "Is <b>this</b> & <script>alert(1)</script> safe?"}


def make_run(folder: Path) -> Path:
    """A run directory of tones: four rows, two prompts (the ground truth reads its own), two seeds."""
    store = RunStore(folder)
    rng = np.random.default_rng(0)
    for k, row in enumerate(ROWS):
        for pid, text in PROMPTS.items() if row != "ground_truth" else [("g1", "Held out one."), ("g2", "Two.")]:
            for seed in (0, 1):
                path = store.audio_path(row, pid, seed)
                path.parent.mkdir(parents=True, exist_ok=True)
                tone = 0.2 * np.sin(2 * np.pi * (150 + 40 * k) * np.arange(8000) / 16000)
                write_wav(path, (tone + rng.normal(0, 0.01, 8000)).astype(np.float32), 16000)
                sha = audio_sha(path)
                store.add_sample(Sample(row, pid, seed, text, str(path.relative_to(folder)), 0.5, audio_sha=sha))
                store.add_scores(
                    ScoreRecord(
                        row,
                        pid,
                        seed,
                        "speaker_sim:x",
                        sha,
                        (Score(row, pid, seed, "speaker_sim", 0.2 * k, {}, "speaker_sim:x"),),
                    )
                )
    (folder / "audio" / "reference").mkdir(parents=True)
    write_wav(folder / "audio" / "reference" / "r0.wav", np.zeros(8000, np.float32), 16000)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A listening server in this process, on a free port."""

    def __init__(self, run_dir, **kw):
        self.test = ListenTest(run_dir, **kw)
        self.server = serve(self.test, "127.0.0.1", free_port())
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def call(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        method,
        path,
        body=None if body is None else json.dumps(body) if not isinstance(body, bytes) else body,
        headers={"Content-Type": "application/json"},
    )
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, (json.loads(data) if r.getheader("Content-Type", "").startswith("application/json") else data)


def answer_for(state):
    return {q: "a" for q in state["questions"]} if state["mode"] == "ab" else {q: 4 for q in state["questions"]}


def test_plans_are_balanced_blind_and_hold_the_checks(tmp_path):
    run = make_run(tmp_path / "run")
    keys = [s.key for s in RunStore(run).samples()]
    trials = plan(keys, "ab", 12, seed=0, rater="ann")
    opinions = [t for t in trials if not t.check]
    assert len(opinions) == 12 and {t.check for t in trials} == {"", "identical", "anchors"}
    pairs = [tuple(sorted(k[0] for k in t.samples)) for t in opinions]
    assert {pairs.count(p) for p in set(pairs)} == {2} and len(set(pairs)) == 6  # every pair twice
    same_text = [t for t in opinions if "ground_truth" not in {k[0] for k in t.samples}]
    assert all(t.samples[0][1] == t.samples[1][1] for t in same_text)  # same prompt where both have it
    assert plan(keys, "ab", 12, 0, "ann") == trials and plan(keys, "ab", 12, 0, "bob") != trials
    assert plan(keys, "ab", 12, 1, "ann") != trials
    sides = [t.samples[0][0] < t.samples[1][0] for t in opinions]
    assert 0 < sum(sides) < len(sides)  # A/B sides drawn, not fixed
    mos = [t for t in plan(keys, "mos", 8, 0, "ann") if not t.check]
    assert sorted(t.samples[0][0] for t in mos) == sorted(ROWS * 2)


def test_answers_are_stored_validated_and_never_duplicated(tmp_path):
    run = make_run(tmp_path / "run")
    srv = Server(run, trials=4)
    try:
        status, state = call(srv.port, "GET", "/api/state?rater=ann")
        assert status == 200 and state["total"] == 6 and not state["finished"]
        page = json.dumps(state)
        assert not any(row in page for row in ROWS)  # row names never reach the page
        bad = [
            ({"rater": "ann", "trial": 0, "answer": {"similar": "c", "natural": "a"}}, 400),
            ({"rater": "ann", "trial": 0, "answer": {"similar": "a"}}, 400),
            ({"rater": "ann", "trial": 99, "answer": answer_for(state)}, 400),
            ({"rater": "", "trial": 0, "answer": answer_for(state)}, 400),
            ({"rater": "ann", "trial": True, "answer": answer_for(state)}, 400),
        ]
        for body, code in bad:
            assert call(srv.port, "POST", "/api/answer", body)[0] == code, body
        assert call(srv.port, "POST", "/api/answer", b"{not json")[0] == 400
        assert not (run / "ratings.jsonl").exists()  # nothing malformed was written
        status, after = call(
            srv.port,
            "POST",
            "/api/answer",
            {"rater": "ann", "trial": 0, "answer": answer_for(state), "page_version": "1"},
        )
        assert status == 200 and after["done"] == 1
        status, err = call(srv.port, "POST", "/api/answer", {"rater": "ann", "trial": 0, "answer": answer_for(state)})
        assert status == 409 and "already answered" in err["error"]
        (line,) = RunStore(run).ratings()
        assert line.rater == "ann" and line.trial == 0 and line.page_version == "1" and line.seed == 0
        assert [k[0] for k in line.keys] and line.time > 0
    finally:
        srv.stop()


def test_only_the_runs_audio_is_served(tmp_path):
    run = make_run(tmp_path / "run")
    (tmp_path / "secret.txt").write_text("no")
    srv = Server(run)
    try:
        _, state = call(srv.port, "GET", "/api/state?rater=ann")
        status, data = call(srv.port, "GET", f"/audio/{state['trial']['audio'][0]}.wav")
        assert status == 200 and data[:4] == b"RIFF"
        for path in (
            "/audio/../run.json",
            "/audio/../../secret.txt",
            "/audio/%2e%2e/samples.jsonl",
            "/samples.jsonl",
            "/audio/base/p1-s0.wav",
            "/../secret.txt",
        ):
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
            conn.putrequest("GET", path, skip_accept_encoding=True)  # sent as is, not normalised
            conn.endheaders()
            r = conn.getresponse()
            data = r.read()
            assert r.status == 404 and b"RIFF" not in data and data != b"no", path
            conn.close()
    finally:
        srv.stop()


def test_two_raters_at_once_do_not_collide(tmp_path):
    run = make_run(tmp_path / "run")
    srv = Server(run, trials=10)
    errors = []

    def rate(name):
        try:
            while True:
                _, state = call(srv.port, "GET", f"/api/state?rater={name}")
                if state["finished"]:
                    return
                status, _ = call(
                    srv.port,
                    "POST",
                    "/api/answer",
                    {"rater": name, "trial": state["trial"]["index"], "answer": answer_for(state)},
                )
                assert status == 200
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=rate, args=(n,)) for n in ("ann", "bob")]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    srv.stop()
    assert not errors
    ratings = RunStore(run).ratings()
    for name in ("ann", "bob"):
        mine = sorted(r.trial for r in ratings if r.rater == name)
        assert mine == list(range(len(plan([s.key for s in RunStore(run).samples()], "ab", 10, 0, name))))


def test_a_killed_server_loses_nothing(tmp_path):
    run = make_run(tmp_path / "run")
    port = free_port()
    cmd = [sys.executable, "-m", "ttsbench.cli", "listen", str(run), "--port", str(port), "--trials", "6"]

    def start():
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(100):
            try:
                call(port, "GET", "/api/state?rater=ann")
                return proc
            except OSError:
                time.sleep(0.1)
        proc.kill()
        pytest.fail(proc.stderr.read())

    proc = start()
    for _ in range(3):
        _, state = call(port, "GET", "/api/state?rater=ann")
        call(
            port, "POST", "/api/answer", {"rater": "ann", "trial": state["trial"]["index"], "answer": answer_for(state)}
        )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc = start()
    try:
        _, state = call(port, "GET", "/api/state?rater=ann")
        assert state["done"] == 3 and state["trial"]["index"] == 3  # continues where ann stopped
        busy = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert busy.returncode == 2 and f"--port {port + 1}" in busy.stderr and busy.stderr.count("\n") == 1
    finally:
        proc.terminate()
        proc.wait()
    assert [r.trial for r in RunStore(run).ratings()] == [0, 1, 2]


def test_a_run_without_audio_says_so(tmp_path):
    run = make_run(tmp_path / "run")
    shutil.rmtree(run / "audio" / "base")
    shutil.rmtree(run / "audio" / "finetuned_cloned")
    shutil.rmtree(run / "audio" / "impostor")
    shutil.rmtree(run / "audio" / "ground_truth")
    proc = subprocess.run([sys.executable, "-m", "ttsbench.cli", "listen", str(run)], capture_output=True, text=True)
    assert proc.returncode == 2 and "no audio" in proc.stderr and proc.stderr.count("\n") == 1
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "listen", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "not a run directory" in proc.stderr


def test_the_answers_reach_the_summary_and_the_gates(tmp_path):
    from ttsbench.gates.gates import check, parse_gate

    run = make_run(tmp_path / "run")
    suite = plan_of(ROWS, ["speaker_sim"])
    gate = parse_gate("human.prefer(finetuned_cloned, base) >= 0.6", suite, "t")
    assert "no listening test yet" in check(gate, run, suite).message
    srv = Server(run, trials=12)
    try:
        for _ in range(14):
            _, state = call(srv.port, "GET", "/api/state?rater=ann")
            if state["finished"]:
                break
            trial = srv.test.plan_of("ann")[state["trial"]["index"]]
            rows_shown = [k[0] for k in trial.samples]  # the test knows; the page does not
            pick = (
                "same"
                if trial.check == "identical"
                else ("a" if rows_shown[0] in ("finetuned_cloned", "ground_truth") or rows_shown[1] == "base" else "b")
            )
            call(
                srv.port,
                "POST",
                "/api/answer",
                {"rater": "ann", "trial": trial.index, "answer": {"similar": pick, "natural": pick}},
            )
    finally:
        srv.stop()
    listeners = summary_of(RunStore(run))
    assert listeners.raters[0].checks == 2 and not listeners.raters[0].flagged
    outcome = check(gate, run, suite)
    assert outcome.passed and "human.prefer(finetuned_cloned, base) = 1" in outcome.message
    assert not check(parse_gate("human.prefer(base, finetuned_cloned) >= 0.6", suite, "t"), run, suite).passed
    assert "no value" in check(parse_gate("human.smos.base >= 3.5", suite, "t"), run, suite).message
    with pytest.raises(Exception, match="names nobody"):
        parse_gate("human.prefer(nobody, base) >= 0.6", suite, "t")


# ---- a real browser -------------------------------------------------------------------------


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are needed; `make system-deps` installs them")
        pytest.skip("chromium or chromedriver is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--window-size=1280,900",
        "--autoplay-policy=no-user-gesture-required",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, seconds=10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(lambda d: condition(d))


def test_a_session_in_a_real_browser(tmp_path, browser):
    from selenium.webdriver.common.by import By

    run = make_run(tmp_path / "run")
    srv = Server(run, trials=4)
    total = len(srv.test.plan_of("Ann Example"))  # 4 opinions + 2 checks
    url = f"http://127.0.0.1:{srv.port}/"
    progress = lambda d: d.find_element(By.ID, "progress-text").text  # noqa: E731
    try:
        browser.get(url)
        browser.find_element(By.ID, "name").send_keys("Ann Example")
        browser.find_element(By.ID, "start").click()
        _wait(browser, lambda d: progress(d) == f"Trial 1 of {total}")
        # by clicking: A more like the reference, B more natural
        browser.find_element(By.CSS_SELECTOR, '.q[data-q="similar"] button[data-v="a"]').click()
        browser.find_element(By.CSS_SELECTOR, '.q[data-q="natural"] button[data-v="b"]').click()
        _wait(browser, lambda d: progress(d) == f"Trial 2 of {total}")
        # by keys: n (no preference) for the highlighted question, then b
        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys("n")
        body.send_keys("b")
        _wait(browser, lambda d: progress(d) == f"Trial 3 of {total}")
        if os.environ.get("TTSBENCH_SCREENSHOT"):  # the README's picture
            browser.save_screenshot(os.environ["TTSBENCH_SCREENSHOT"])
        answers = [(r.answer["similar"], r.answer["natural"]) for r in RunStore(run).ratings()]
        assert answers == [("a", "b"), ("same", "b")]

        # the server dies mid-session; restarted, a reload continues where Ann stopped
        port = srv.port
        srv.stop()
        srv = Server.__new__(Server)
        srv.test = ListenTest(run, trials=4)
        srv.server = serve(srv.test, "127.0.0.1", port)
        srv.port = port
        threading.Thread(target=srv.server.serve_forever, daemon=True).start()
        browser.refresh()
        _wait(browser, lambda d: progress(d) == f"Trial 3 of {total}")  # the name was remembered
        marked_up = 0
        while True:
            if browser.find_element(By.ID, "finished").is_displayed():
                break
            if "safe?" in browser.find_element(By.ID, "prompt").text:  # HTML in a prompt is shown as text
                assert PROMPTS["p2"] in browser.find_element(By.ID, "prompt").text
                assert not browser.find_elements(By.CSS_SELECTOR, "#prompt b, #prompt script")
                marked_up += 1
            before = progress(browser)
            body = browser.find_element(By.TAG_NAME, "body")
            body.send_keys("a")
            body.send_keys("a")
            _wait(
                browser,
                lambda d, before=before: d.find_element(By.ID, "finished").is_displayed() or progress(d) != before,
            )
        assert "all 6 trials" in browser.find_element(By.ID, "finished-text").text
        assert marked_up  # the plan (seed 0, this rater) shows the prompt with markup in trials 3 to 6
        ratings = RunStore(run).ratings()
        assert [r.trial for r in ratings] == list(range(total)) and {r.rater for r in ratings} == {"Ann Example"}
        assert {r.check for r in ratings} == {"", "identical", "anchors"}
        assert all(r.page_version == "1" for r in ratings)
        # the analysis reads them: one rater, two checks, a preference per pair answered
        listeners = summary_of(RunStore(run))
        assert listeners.n_ratings == total and listeners.raters[0].checks == 2
        assert listeners.preferences and listeners.ranking["similar"]
    finally:
        srv.stop()


def test_a_run_with_one_row_answers_at_once_in_one_line(tmp_path):
    """A/B cannot pair one row: refused in one line naming what works (the planner used to spin forever);
    MOS rates that row as it is."""
    from ttsbench.core.errors import UserError

    run = make_run(tmp_path / "run")
    lines = (run / "samples.jsonl").read_text().splitlines()
    (run / "samples.jsonl").write_text("".join(x + "\n" for x in lines if json.loads(x)["variant"] == "base"))
    start = time.monotonic()
    with pytest.raises(UserError, match=r"only base has audio, and A/B needs two rows; use --mode mos"):
        ListenTest(run, mode="ab")
    with pytest.raises(UserError, match="A/B needs two rows"):
        plan([("base", "p1", 0)], "ab", 4, 0, "r")
    assert time.monotonic() - start < 5
    assert len([t for t in ListenTest(run, mode="mos", trials=4).plan_of("r") if not t.check]) == 4


@pytest.mark.parametrize("port", [-1, 70000])
def test_a_port_out_of_range_is_one_line(tmp_path, port):
    from ttsbench.core.errors import UserError

    with pytest.raises(UserError, match=rf"--port {port}: a port number from 0 to 65535"):
        serve(ListenTest(make_run(tmp_path / "run")), "127.0.0.1", port)
