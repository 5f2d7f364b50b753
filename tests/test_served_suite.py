"""The shipped served suite, end to end against the local server: the rows rank as they must on real
speech (the same voice closest, the pitch-shifted voice next, espeak last), its gates pass, a re-run
sends nothing, and `check` probes each served row."""

from __future__ import annotations

from pathlib import Path

import pytest

import ttsbench as tb
from ttsbench.perf.speech_server import start

SUITE = Path(__file__).resolve().parents[1] / "suites" / "served.yaml"


@pytest.fixture(scope="module")
def server():
    srv, state = start(0)
    yield srv, state
    srv.shutdown()


def overrides(server, dataset, out):
    url = f"http://127.0.0.1:{server[0].server_address[1]}/v1"
    return {
        "dataset": str(dataset),
        "out": str(out),
        "rows": {name: {"served": {"url": url}} for name in ("hibari", "hibari_up2", "espeak")},
    }


@pytest.mark.slow
def test_the_served_suite_ranks_the_voices_and_its_gates_pass(server, voice_dataset, tmp_path):
    _, state = server
    run = tb.bench(SUITE, progress=False, **overrides(server, voice_dataset, tmp_path / "run"))
    sim = run.summary().set_index(["variant", "metric"])["mean"]
    assert sim[("hibari", "speaker_sim")] > sim[("hibari_up2", "speaker_sim")] > sim[("espeak", "speaker_sim")]
    gates = run.gates()
    assert gates["passed"].all(), gates.to_string()
    answer = run.answer().frame()
    assert ("espeak", "hibari") in set(zip(answer["variant"], answer["against"], strict=True))  # its `against`
    sent = state.requests
    again = tb.bench(SUITE, progress=False, **overrides(server, voice_dataset, tmp_path / "run"))
    assert again.generated == 0 and state.requests - sent <= 3  # only check's probes: no answer asked again
    record = (tmp_path / "run" / "run.json").read_text()
    assert '"hibari-up2"' in record and '"version": 3' in record


def test_check_probes_each_served_row_and_names_a_dead_one(server, voice_dataset, tmp_path):
    given = overrides(server, voice_dataset, tmp_path / "run")
    found = tb.check_findings(tb.load(SUITE, **given))
    rows = {f.name: f for f in found if f.topic == "row"}
    assert set(rows) == {"hibari", "hibari_up2", "espeak"} and all(f.ok for f in rows.values())
    given["rows"]["espeak"]["served"]["url"] = "http://127.0.0.1:9/v1"
    given["rows"]["espeak"]["served"]["retries"] = 0
    with pytest.raises(tb.api.UserError, match=r"^row espeak: ConnectionRefusedError"):
        tb.bench(SUITE, progress=False, **given)
    assert not (tmp_path / "run" / "samples.jsonl").exists()  # stopped before any work


def test_check_masks_credentials_in_any_url_as_bench_does(server, voice_dataset, tmp_path, capsys):
    from ttsbench.benchmark.check import report_text

    given = overrides(server, voice_dataset, tmp_path / "run")
    port = server[0].server_address[1]
    given["rows"]["espeak"]["served"]["url"] = f"http://alice:hunter2@127.0.0.1:{port}/v1?token=s3cr3t"
    given["rows"]["hibari"]["served"]["url"] = "http://bob:pa55word@127.0.0.1:9/v1"
    given["rows"]["hibari"]["served"]["retries"] = 0
    text = report_text(tb.check_findings(tb.load(SUITE, **given)))
    assert "127.0.0.1" in text
    assert all(secret not in text for secret in ("hunter2", "s3cr3t", "pa55word")), text


def test_bad_rows_are_one_line_before_any_work(voice_dataset, tmp_path):
    from ttsbench.benchmark.suite import SuiteError

    base = {"name": "r", "dataset": str(voice_dataset), "variants": [], "anchors": [], "scorers": {"signal": {}}}
    cases = [
        ({"9lives": {"callable": "m:f"}}, r"row name '9lives': a letter, then"),
        ({"ground_truth": {"callable": "m:f"}}, r"the name 'ground_truth' is taken"),
        ({"x": {}}, r"say what makes its samples"),
        ({"x": {"served": {"url": "localhost:8091", "model": "m"}}}, r"rows.x.served.url' = 'localhost:8091'"),
        ({"x": {"served": {"url": "http://h/v1", "model": "m", "colour": 1}}}, r"unexpected keyword.*'colour'"),
        ({"x": {"callable": "no_colon"}}, r"'module:function'"),
        ({"x": {"callable": "m:f", "against": "nobody"}}, r"against' = 'nobody': not a model row"),
        ({"x": {"bogus": 1}}, r"unknown key\(s\) bogus"),
        ({"cloned": {"clones": False}}, r"whose meaning is fixed"),
    ]
    for rows, said in cases:
        with pytest.raises(SuiteError, match=said):
            tb.load({**base, "rows": rows})
    with pytest.raises(tb.api.UserError, match=r"^row x: callable nowhere_module:speak: cannot import nowhere_module"):
        tb.bench(
            {**base, "rows": {"x": {"callable": "nowhere_module:speak"}}, "out": str(tmp_path / "c")}, progress=False
        )


def speak(texts, references, seed, loudness=0.1):
    """A callable row for the test below: a tone per text, None for a text asking for nothing."""
    import numpy as np

    t = np.arange(16000) / 16000
    return [None if "nothing" in text else (loudness * np.sin(2 * np.pi * 300 * t), 16000) for text in texts]


def test_a_callable_row_benches_and_a_bad_answer_fails_only_its_sample(voice_dataset, tmp_path):
    run = tb.bench(
        {
            "name": "c",
            "dataset": str(voice_dataset),
            "variants": [],
            "anchors": [],
            "prompts": ["Say something.", "Say nothing."],
            "seeds": 1,
            "scorers": {"signal": {}},
            "rows": {"tone": {"callable": "test_served_suite:speak", "options": {"loudness": 0.3}}},
        },
        tmp_path / "run",
        progress=False,
    )
    samples = run.samples().set_index("text")
    assert not isinstance(samples.loc["Say something.", "error"], str)  # no error (NaN in the table)
    assert samples.loc["Say nothing.", "error"].startswith(
        "row tone, prompt 'Say nothing.': callable test_served_suite:speak returned no audio (None)"
    )
    assert run.results().samples["tone"].failed == 1


@pytest.mark.slow
def test_a_served_run_killed_mid_way_resumes_without_asking_again(server, voice_dataset, tmp_path):
    import hashlib
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    import yaml

    srv, state = server
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    suite = tmp_path / "killed.yaml"
    rows = {name: {"served": {"url": url, "model": "espeak", "concurrency": 1}} for name in ("a", "b")}
    prompts = [f"Sentence number {w} is spoken here." for w in ("one", "two", "three", "four", "five", "six")]
    suite.write_text(
        yaml.safe_dump(
            {
                "name": "killed",
                "dataset": str(voice_dataset),
                "variants": [],
                "rows": rows,
                "anchors": [],
                "prompts": prompts,
                "seeds": 1,
                "scorers": {"signal": {}},
                "generation": {"batch_size": 2},
                "out": str(tmp_path / "run"),
            }
        )
    )
    start = state.requests
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from ttsbench.cli import main; sys.exit(main())", "bench", str(suite)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while state.requests - start < 6 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the bench ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    samples = tmp_path / "run" / "samples.jsonl"
    kept = [json.loads(line) for line in samples.read_text().splitlines()] if samples.exists() else []
    assert 0 < len(kept) < 12, "the kill came before any answer was kept, or after all of them"
    before = {
        k["audio_path"]: hashlib.sha256((tmp_path / "run" / k["audio_path"]).read_bytes()).hexdigest() for k in kept
    }
    asked = state.requests - start
    run = tb.bench(suite, progress=False)
    assert run.generated == 12 - len(kept)
    # probes and the in-flight batch aside, nothing already answered is asked again
    assert state.requests - start - asked <= 12 - len(kept) + 2 + 2
    assert all(
        hashlib.sha256((tmp_path / "run" / p).read_bytes()).hexdigest() == h for p, h in before.items()
    )  # the answers kept before the kill are the run's
    assert sorted(run.samples()["variant"]) == ["a"] * 6 + ["b"] * 6
