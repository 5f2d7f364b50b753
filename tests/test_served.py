"""Served rows: an OpenAI-compatible speech endpoint benched like any row, against a local server of
offline voices (127.0.0.1, a free port) with injectable faults. Every fault ends as a retried success or
a counted, explained failure; the API key is never written anywhere."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ttsbench.benchmark.synth.served import ServedSynth
from ttsbench.models.families import Context, Request
from ttsbench.perf.speech_server import ServerState, start


@pytest.fixture(scope="module")
def server():
    srv, state = start(0)
    yield srv, state
    srv.shutdown()


def spec(server, **given):
    """A served row's settings pointing at the test server (short timeout, two retries)."""
    from ttsbench.benchmark.plan import ServedSpec

    srv, _ = server
    return ServedSpec(
        **{
            "url": f"http://127.0.0.1:{srv.server_address[1]}/v1",
            "model": "hibari",
            "timeout": 2.0,
            "retries": 2,
            **given,
        }
    )


@pytest.mark.parametrize("fault", ["429", "500", "stall", "truncated"])
def test_a_passing_fault_is_retried_to_success(server, fault):
    _, state = server
    state.faults, state.stall_seconds = {fault: 1}, 3.0
    before = state.requests
    out = ServedSynth(spec(server), "hibari").generate([Request("A sentence to speak.", 0, 10.0)])[0]
    assert out.error is None and out.audio is not None and len(out.audio) > 24000 * 0.5
    assert state.requests - before == 2  # the fault, then the answer


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("429", "HTTP 429"),
        ("500", "HTTP 500"),
        ("stall", "timed out"),
        ("truncated", "cut short"),
        ("not_audio", "not audio (application/json)"),
    ],
)
def test_a_lasting_fault_fails_the_sample_with_one_line(server, fault, said):
    _, state = server
    state.faults, state.stall_seconds = {fault: 3}, 3.0
    out = ServedSynth(spec(server), "hibari").generate([Request("A sentence to speak.", 0, 10.0)])[0]
    state.faults = {}
    assert out.audio is None and "\n" not in out.error
    assert out.error.startswith("row hibari, prompt 'A sentence to speak.': ") and said in out.error


def test_other_client_errors_are_not_retried_and_say_what_to_fix(server):
    _, state = server
    before = state.requests
    problem = ServedSynth(spec(server, model="qwen3", retries=3), "x").probe()
    assert "HTTP 404" in problem and "check `url` (…/v1) and `model`" in problem
    assert state.requests - before == 1


def test_refused_connection_and_an_unset_key(server, monkeypatch):
    problem = ServedSynth(spec(server, url="http://127.0.0.1:9/v1", retries=0), "x").probe()
    assert "ConnectionRefusedError" in problem
    monkeypatch.delenv("TTSBENCH_TEST_KEY", raising=False)
    problem = ServedSynth(spec(server, api_key_env="TTSBENCH_TEST_KEY"), "x").probe()
    assert problem == "the environment variable TTSBENCH_TEST_KEY (its API key) is not set; export it first"


def test_the_key_is_sent_and_never_said(server, monkeypatch):
    _, state = server
    state.api_key = "sk-secret-0123"
    try:
        monkeypatch.setenv("KEY_VAR", "sk-wrong-9999")
        problem = ServedSynth(spec(server, api_key_env="KEY_VAR"), "x").probe()
        assert "HTTP 401" in problem and "sk-wrong" not in problem
        monkeypatch.setenv("KEY_VAR", "sk-secret-0123")
        assert ServedSynth(spec(server, api_key_env="KEY_VAR"), "x").probe() == ""
    finally:
        state.api_key = ""


@pytest.mark.parametrize("fmt", ["wav", "flac", "pcm"])
def test_every_format_decodes_to_the_same_speech(server, fmt):
    out = ServedSynth(spec(server, response_format=fmt), "x").generate([Request("Good morning.", 0, 10.0)])[0]
    wav = ServedSynth(spec(server), "x").generate([Request("Good morning.", 0, 10.0)])[0]
    assert out.error is None and abs(len(out.audio) - len(wav.audio)) <= 1
    assert np.corrcoef(out.audio[: len(wav.audio)], wav.audio[: len(out.audio)])[0, 1] > 0.99


def test_cloning_sends_the_reference_clips_and_their_text(server, monkeypatch):
    sent = []
    synth = ServedSynth(spec(server), "x")
    original = synth._post
    monkeypatch.setattr(synth, "_post", lambda body: sent.append(json.loads(body)) or original(body))
    context = (Context(np.full(24000, 0.1, np.float32), "first clip"), Context(np.zeros(12000, np.float32), "second"))
    assert synth.generate([Request("Say it.", 0, 10.0, context=context)])[0].error is None
    assert sent[0]["ref_text"] == "first clip second" and sent[0]["ref_audio"].startswith("data:audio/wav;base64,")


def test_an_answer_absurdly_long_for_its_text_is_refused(server):
    text = "One, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve, thirteen, fourteen."
    out = ServedSynth(spec(server), "x").generate([Request(text, 0, 0.5)])  # a cap of 0.5 s: 4 s at most
    assert out[0].audio is None and "s of audio, more than 4 s for its text; the server ran away" in out[0].error


def test_the_server_speaks_three_voices():
    from ttsbench.perf.speech_server import speak

    hibari, up, espeak = (speak(m, "The quick brown fox.") for m in ("hibari", "hibari-up2", "espeak"))
    assert abs(len(up) - len(hibari)) < 0.05 * len(hibari)  # the pitch moved, not the timing
    assert len(espeak) > 0 and not np.allclose(up[: len(hibari)], hibari[: len(up)])


def test_a_silent_server_state_has_no_faults():
    assert ServerState().take_fault() == ""


@pytest.mark.slow
def test_perf_served_prints_each_concurrency_against_one_at_a_time(capsys):
    from ttsbench.perf.served import perf_served

    assert perf_served(requests=8) == 0
    out = capsys.readouterr().out
    for model in ("instant", "hibari"):
        rows = [line.split() for line in out.splitlines() if line.startswith(model)]
        assert [r[1] for r in rows] == ["1", "4", "16"] and rows[0][3] == "1.00×"
        assert all(float(r[2]) > 0 for r in rows)
    assert "harness overhead per request" in out and "scoring is" in out
