"""Every value checked before any work: one line naming the flag or file and key, and the allowed range."""

from __future__ import annotations

import pytest
import yaml

from ttsbench.cli import main


def work_started(*_, **__):
    raise AssertionError("work started before the input was checked")


@pytest.fixture(autouse=True)
def no_work(monkeypatch):
    """Any model or transcription work fails the test: errors must come first."""
    for target in (
        "ttsbench.dataprep.prepare.load_asr",
        "ttsbench.dataprep.prepare.AudioStream",
        "ttsbench.models.train.load_model",
        "ttsbench.benchmark.runner.load_synth",
        "ttsbench.dataprep.synthvoice.synthesize",
    ):
        monkeypatch.setattr(target, work_started)


def run(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--max-seconds", "0"], "--max-seconds 0.0: must be a number > 0 and ≤ 30"),
        (["--max-seconds", "nan"], "--max-seconds nan: must be a number > 0"),
        (["--min-seconds", "20", "--max-seconds", "10"], "--min-seconds 20.0: must be a number ≥ 0 and ≤ 10"),
        (["--sample-rate", "0"], "--sample-rate 0: must be an integer ≥ 8000"),
        (["--eval-fraction", "2"], "--eval-fraction 2.0: must be a number ≥ 0 and ≤ 0.9"),
        (["--margin", "-1"], "--margin -1.0: must be a number ≥ 0"),
        (["--beam-size", "0"], "--beam-size 0: must be an integer ≥ 1"),
        (["--asr", "tiny.nl"], "'tiny.nl': unknown Whisper model"),
        (["--asr", "missing/whisper.pt"], "'missing/whisper.pt': no such file or folder"),
    ],
)
def test_prepare_flags(flags, expected, capsys, tmp_path):
    code, err = run(capsys, "prepare", str(tmp_path / "in.wav"), "--out", str(tmp_path / "out"), *flags)
    assert code == 2 and expected in err and "\n" not in err, err


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--max-steps", "-5"], "--max-steps -5: must be an integer ≥ 1 (or -1)"),
        (["--learning-rate", "nan"], "--learning-rate nan: must be a number > 0"),
        (["--r", "-4"], "--r -4: must be an integer ≥ 1"),
        (["--depth-decoder-frames", "1.5"], "--depth-decoder-frames 1.5: must be a number > 0 and ≤ 1"),
        (["--per-device-batch-size", "0"], "--per-device-batch-size 0: must be an integer ≥ 1"),
    ],
)
def test_finetune_flags(flags, expected, capsys, tmp_path):
    code, err = run(capsys, "finetune", str(tmp_path), "--base", str(tmp_path), "--out", str(tmp_path / "ft"), *flags)
    assert code == 2 and expected in err and "\n" not in err, err


@pytest.mark.parametrize(
    "text, expected",
    [
        ("learning_rate: fast\n", "c.yaml: key 'learning_rate' = 'fast': must be a number > 0"),
        ("r: -4\n", "c.yaml: key 'r' = -4: must be an integer ≥ 1"),
        ("gradient_checkpointing: maybe\n", "key 'gradient_checkpointing' = 'maybe': must be one of True, False"),
        ("max_steps: [1\n", "c.yaml: not valid YAML (line 2:"),
        ("- 1\n- 2\n", "c.yaml: a fine-tune settings file is a mapping of keys"),
        ("learning_rat: 0.1\n", "unknown setting(s) learning_rat"),
    ],
)
def test_finetune_config_files(text, expected, capsys, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(text)
    code, err = run(
        capsys,
        "finetune",
        str(tmp_path),
        "--base",
        str(tmp_path),
        "--out",
        str(tmp_path / "ft"),
        "--config",
        str(config),
    )
    assert code == 2 and expected in err and "\n" not in err, err


def test_synth_voice_minutes_nan_is_refused_at_once(capsys, tmp_path):
    code, err = run(capsys, "synth-voice", "--out", str(tmp_path / "v.wav"), "--minutes", "nan")
    assert code == 2 and "--minutes nan: must be a number > 0 and ≤ 600" in err


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rules: 5\n", "key 'rules' must be a list"),
        ("a: b\nrules:\n  - {from: x, to: y, regex: sometimes}\n", "rule 2 key 'regex' must be true or false"),
        ("a: [b\n", "not valid YAML (line 2:"),
        ("5\n", "a mapping 'wrong: right'"),
    ],
)
def test_corrections_files(text, expected, capsys, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    code, err = run(
        capsys, "prepare", str(tmp_path / "in.wav"), "--out", str(tmp_path / "out"), "--corrections", str(path)
    )
    assert code == 2 and expected in err and str(path) in err and "\n" not in err, err


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"generation": {"temperature": "hot"}}, "key 'generation.temperature' = 'hot': must be a number ≥ 0"),
        ({"generation": {"top_k": -1}}, "key 'generation.top_k' = -1: must be an integer ≥ 0"),
        ({"generation": {"max_seconds": float("nan")}}, "key 'generation.max_seconds' = nan"),
        ({"generation": {"batch_size": 0}}, "key 'generation.batch_size' = 0: must be an integer ≥ 1"),
        ({"generation": {"compile": "yes please"}}, "key 'generation.compile' = 'yes please': must be true or false"),
        (
            {"generation": {"compile": True, "engine": "transformers"}},
            "key 'generation.compile' = true: compiling is the fast engine's; set engine: fast",
        ),
        ({"generation": "fast"}, "key 'generation': a mapping"),
        ({"scorers": {"wer": {"normaliser": "nltk"}}}, "key 'scorers.wer': unknown normaliser 'nltk'"),
        ({"scorers": {"wer": {"asr": "large-v9"}}}, "key 'scorers.wer.asr' = 'large-v9': unknown Whisper model"),
        ({"scorers": {"speaker_sim": {"encoder": "x-vector"}}}, "key 'scorers.speaker_sim': unknown encoder"),
        ({"seeds": [1, 1]}, "key 'seeds': [1, 1] repeats [1]"),
        ({"seeds": [True]}, "key 'seeds': a positive count or a list of integers"),
        ({"seeds": [-1, 0]}, "key 'seeds': [-1]: seeds are integers from 0 to 4294967295"),
        ({"seeds": [2**70]}, "seeds are integers from 0 to 4294967295"),
        ({"model": {"backend": "noise", "device": "tpu"}}, "key 'model.device' = 'tpu': auto, cpu, cuda"),
        ({"name": "../../evil"}, "key 'name' = '../../evil': letters, digits"),
        ({"generation": {"repetition_penalty": 1.1}}, "unknown setting(s) repetition_penalty for the noise"),
    ],
)
def test_suite_values(override, expected, capsys, tmp_path):
    suite = {
        "name": "s",
        "model": {"backend": "noise"},
        "variants": ["base"],
        "anchors": [],
        "prompts": ["Hello."],
        "scorers": {"signal": {}},
        **override,
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(suite))
    code, err = run(capsys, "bench", str(path), "--out", str(tmp_path / "run"))
    assert code == 2 and expected in err and str(path) in err and "\n" not in err, err
    assert not (tmp_path / "run").exists()


def test_a_key_given_twice_or_a_file_not_utf8_is_one_line(capsys, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nmodel: {backend: noise}\nseeds: 2\nseeds: 5\n")
    code, err = run(capsys, "bench", str(path))
    assert code == 2 and "the key 'seeds' is given twice; keep one" in err and "\n" not in err.strip(), err
    path.write_bytes(b"name: caf\xe9\n")
    code, err = run(capsys, "bench", str(path))
    assert code == 2 and "not UTF-8 text" in err, err


def test_invalid_suite_yaml_names_the_line(capsys, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nmodel: {backend: noise\nprompts: [a]\n")
    code, err = run(capsys, "bench", str(path))
    assert code == 2 and "not valid YAML (line 3:" in err, err
