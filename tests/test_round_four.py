"""Nothing lost, round four: outputs never land on what another stage made, one process per output folder,
no gate passes over nothing, no score from nothing, and the Python API's wrong types are one line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

import ttsbench as tb
from ttsbench.core.errors import UserError


def test_a_report_never_replaces_a_record_of_the_same_stem(voice_dataset, tiny_run, tmp_path):
    from ttsbench.reports.html import ReportError, build_report

    data = tmp_path / "data"
    shutil.copytree(voice_dataset, data)
    record = (data / "prepare.json").read_bytes()
    with pytest.raises(ReportError, match=r"its record would go to .*prepare.json.*not this report's"):
        build_report([tiny_run], data / "prepare.html", overwrite=True)  # --overwrite names the page, not the record
    assert (data / "prepare.json").read_bytes() == record and not (data / "prepare.html").exists()
    with pytest.raises(ReportError, match="is a folder; name the page inside it"):
        build_report([tiny_run], data)
    assert not list(data.glob("*.tmp"))
    with pytest.raises(ReportError, match="run-report.html"):
        build_report([tiny_run], tmp_path / "run.json")  # the suggested name is one it takes
    build_report([tiny_run], tmp_path / "run-report.html")


def test_a_fine_tune_never_writes_into_its_base(voice_dataset, tiny_csm, tmp_path):
    from ttsbench.models.train import FinetuneError, finetune

    base = tmp_path / "base"
    shutil.copytree(tiny_csm, base)
    before = sorted(p.name for p in base.iterdir())
    for out in (base, base / "ft"):
        with pytest.raises(FinetuneError, match="is the base checkpoint .* or inside it"):
            finetune(voice_dataset, str(base), out, progress=False)
    assert sorted(p.name for p in base.iterdir()) == before
    (tmp_path / "afile").write_text("x")
    with pytest.raises(FinetuneError, match="is a file; pass a folder"):
        finetune(voice_dataset, str(base), tmp_path / "afile", progress=False)


def test_prepare_never_rebuilds_a_dataset_of_other_recordings_unless_told(voice_dataset, tmp_path):
    from ttsbench.dataprep.prepare import PrepareError

    data = tmp_path / "data"
    shutil.copytree(voice_dataset, data)
    other = tmp_path / "other.wav"
    sf.write(other, np.zeros(16000, np.float32), 16000)
    record = (data / "prepare.json").read_bytes()
    with pytest.raises(PrepareError, match="holds a dataset made from other recordings.*--overwrite"):
        tb.prepare([other], data, progress=False)
    assert (data / "prepare.json").read_bytes() == record


def test_one_process_per_output_folder(tmp_path):
    from ttsbench.core.locks import FolderInUse, hold

    with hold(tmp_path / "ft", "ttsbench finetune"):
        with pytest.raises(FolderInUse, match=r"in use by ttsbench finetune pid \d+"), hold(tmp_path / "ft"):
            pass
        code = f"from ttsbench.core.locks import hold\nwith hold({str(tmp_path / 'ft')!r}): pass"
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert other.returncode != 0 and "in use by ttsbench finetune" in other.stderr  # another process too
    with hold(tmp_path / "ft"):  # released with the holder
        pass


def test_a_gate_over_no_samples_fails_with_its_reason():
    from ttsbench.benchmark.records import RunSummary, SampleCounts
    from ttsbench.gates.gates import _value

    summary = RunSummary.__new__(RunSummary)
    object.__setattr__(summary, "samples", {"ground_truth": SampleCounts(n=0, failed=0)})
    value, _, note = _value("ground_truth", "failed", None, summary, None)
    assert value is None and "ground_truth has no samples" in note
    assert _value("ground_truth", "samples", None, summary, None)[0] == 0


def test_a_silent_sample_is_excluded_from_runaway_with_its_reason():
    from ttsbench.benchmark.scorers import Item
    from ttsbench.benchmark.scorers.runaway import RunawayScorer

    scorer = RunawayScorer(RunawayScorer.resolve({"uses": {}}))
    evidence = {"wer": {"wer": {"segments": [], "transcript": "", "ref_norm": "hello there", "hyp_norm": ""}}}
    (values,) = scorer.score([Item(np.zeros(24000, np.float32), 24000, "Hello there.", evidence=evidence)])
    assert all(v.value is None for v in values) and "the sample is silent" in values[0].detail["error"]


def test_a_prompt_with_nothing_to_say_is_refused():
    from ttsbench.benchmark.suite import SuiteError

    with pytest.raises(SuiteError, match=r"prompt 2 \('\?!'\) has no words to speak or to score"):
        tb.load({"prompts": ["Hello there.", "?!"], "variants": [], "anchors": [], "scorers": {"signal": {}}})


@pytest.mark.parametrize(
    "call, said",
    [
        (lambda: tb.prepare(123, out="x"), "sources=123"),
        (lambda: tb.prepare(["a.wav"], out=123), "out=123"),
        (lambda: tb.bench("suites/demo.yaml", out=123), "out=123"),
        (lambda: tb.bench("suites/demo.yaml", seed=5), "unknown suite key.s. seed"),
        (lambda: tb.open_run(None), "run_dir=None"),
        (lambda: tb.report("runs/x", 5), "out=5"),
        (lambda: tb.load(5), "suite=5"),
        (lambda: tb.check(123), "suite=123"),
        (lambda: tb.sweep("suites/demo.yaml", sizes="abc"), "sizes='abc'"),
        (lambda: tb.finetune(5, base="x", out="y"), "dataset=5"),
        (lambda: tb.synth_voice(None, 1), "out=None"),
    ],
)
def test_the_api_given_wrong_types_says_so_in_one_line(call, said):
    with pytest.raises(UserError, match=said):
        call()


def test_trainer_names_and_seeds_are_refused_before_any_work(voice_dataset, tiny_csm, tmp_path):
    from ttsbench.models.records import FinetuneOptions
    from ttsbench.models.train import FinetuneError, finetune

    for name, value in (("lr_scheduler", "bogus"), ("optim", "adamw_bogus")):
        flag = "--" + name.replace("_", "-")
        with pytest.raises(FinetuneError, match=f"{flag} '{value}': not one transformers knows; one of"):
            finetune(voice_dataset, str(tiny_csm), tmp_path / name, FinetuneOptions(**{name: value}), progress=False)
        assert not (tmp_path / name).exists()  # refused before the folder, the data or the model
    with pytest.raises(UserError, match=r"seed -3: must be an integer ≥ 0 and ≤ 4294967295"):
        FinetuneOptions(seed=-3)


def _sweep_suite(tmp_path, voice_dataset, tiny_csm):
    import yaml

    suite = tmp_path / "s.yaml"
    suite.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "model": {"backend": "csm", "checkpoint": str(tiny_csm)},
                "dataset": str(voice_dataset),
                "prompts": ["Hello there."],
                "variants": ["base", "finetuned"],
                "scorers": {"signal": {}},
                "finetune": {"max_steps": 1},
            }
        )
    )
    return suite


def test_sweep_seeds_and_settings_are_refused_before_its_folder(voice_dataset, tiny_csm, tmp_path, capsys):
    from ttsbench.cli import main

    suite = _sweep_suite(tmp_path, voice_dataset, tiny_csm)
    out = tmp_path / "sweep"
    for args, said in (
        (["--sizes", "2", "--seeds=-3"], r"--seeds -3: training seeds are whole numbers from 0"),
        (["--setting", "optim=adamw_torch,bogus"], r"--setting optim: key 'optim' 'bogus': not one transformers"),
    ):
        assert main(["sweep", str(suite), "--out", str(out), *args]) == 2  # a traceback would raise here
        assert re.search(said, capsys.readouterr().err) and not out.exists()


def test_an_output_that_is_a_file_where_a_folder_goes_is_one_line(voice_dataset, tiny_csm, tiny_run, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    suite = _sweep_suite(tmp_path, voice_dataset, tiny_csm)
    for args in (
        ("bench", str(suite), "--out", str(afile)),
        ("bench", str(suite), "--out", str(afile / "run")),
        ("sweep", str(suite), "--sizes", "2", "--out", str(afile)),
        ("tiny-model", "--out", str(afile)),
        ("prepare", str(afile), "--out", str(afile)),
        ("report", str(tiny_run), "-o", str(tmp_path / "r.html"), "--audio-dir", str(afile)),
    ):
        done = _cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert re.search(r"is a file.*; pass a folder", done.stderr), (args, done.stderr)
        assert "Traceback" not in done.stderr and afile.read_text() == "mine"


def test_a_push_without_network_is_one_line_and_loses_nothing(voice_dataset, tiny_csm, tmp_path):
    out, data = tmp_path / "ft", tmp_path / "data"
    shutil.copytree(voice_dataset, data)
    source = json.loads((data / "prepare.json").read_text())["recordings"][0]["path"]
    tune = ["finetune", str(voice_dataset), "--base", str(tiny_csm), "--out", str(out), "--max-steps", "1"]
    calls = [
        [*tune, "--push-to-hub", "someone/voice"],
        [*tune, "--push-to-hub", "someone/voice"],  # up to date: it says so, then pushes what is saved
        [
            "prepare",
            source,
            "--out",
            str(data),
            "--max-seconds",
            "8",
            "--eval-fraction",
            "0.25",
            "--push-to-hub",
            "someone/data",
        ],
    ]
    code = f"""
import contextlib, io, json
from ttsbench.cli import main
said = []
for args in {calls!r}:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        said.append([main(args), err.getvalue()])
print(json.dumps(said))
"""
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "hf_notreal"}  # a Hub that refuses at once
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env={**os.environ, **env}
    )
    assert done.returncode == 0, done.stderr[-3000:]  # no call raised: each ended in its one line
    (first, err1), (again, err2), (prepared, err3) = json.loads(done.stdout.strip().splitlines()[-1])
    assert first == 2 and "--push-to-hub someone/voice: not pushed (" in err1 and "run the same command again" in err1
    assert (out / "finetune.json").is_file() and (out / "adapter_config.json").is_file()  # nothing half-written
    assert again == 2 and "up to date" in err2 and "pushing the adapter" in err2 and "not pushed" in err2
    assert prepared == 2 and "--push-to-hub someone/data: not pushed (" in err3 and (data / "prepare.json").is_file()


def _cli(*args, env=None):
    import os

    return subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_splits_keep_one_eval_clip_or_prepare_refuses(tmp_path, monkeypatch):
    from media import tone

    from ttsbench.dataprep.chunking import ChunkOptions
    from ttsbench.dataprep.prepare import PrepareError, PrepareOptions, file_sha256, prepare
    from ttsbench.dataprep.records import Clip
    from ttsbench.dataprep.splits import SplitOptions, assign_splits

    clips = [Clip(f"r-{i:04d}", "r", 5.0 * i, 5.0 * i + 5, "words") for i in range(3)]
    split, warnings = assign_splits(clips, SplitOptions())
    assert sorted(split.values()) == ["eval", "reference", "train"] and "held out for eval" in warnings[-1]

    wav = tmp_path / "short.wav"
    sf.write(wav, tone(10.0, 16000), 16000)
    out = tmp_path / "voice"
    (out / "transcripts").mkdir(parents=True)

    def seg(start, text):
        words = [
            {"start": start + k, "end": start + k + 0.8, "word": " " + w, "probability": 0.9}
            for k, w in enumerate(text.split())
        ]
        return {"start": start, "end": start + len(words), "text": " " + text, "words": words}

    transcript = {"recording_id": "short", "duration": 10.0, "audio_sha256": file_sha256(wav)}
    transcript["segments"] = [seg(0.5, "Hello there friend."), seg(5.5, "Good night all.")]
    (out / "transcripts" / "short.json").write_text(json.dumps(transcript))
    monkeypatch.setattr("ttsbench.dataprep.prepare.load_asr", lambda *_: pytest.fail("transcribed"))
    options = PrepareOptions(out=out, progress=False, chunk=ChunkOptions(max_seconds=5))
    with pytest.raises(PrepareError, match=r"2 clip\(s\) are too few to hold one out for eval.*--eval-fraction 0"):
        prepare([str(wav)], options)
    assert not (out / "prepare.json").exists()
    kept = prepare(
        [str(wav)],
        PrepareOptions(out=out, progress=False, chunk=ChunkOptions(max_seconds=5), split=SplitOptions(eval_fraction=0)),
    )
    assert "eval" not in kept.manifest.counts or kept.manifest.counts["eval"]["clips"] == 0


def test_datasets_are_made_and_read_without_torchcodec(voice_dataset, tmp_path):
    """A notebook whose torch has no matching torchcodec: prepare writes the dataset and ttsbench reads its audio
    (soundfile, PyAV for AAC) all the same."""
    code = f"""
import json, shutil, sys
from pathlib import Path
sys.modules["torchcodec"] = None  # importing torchcodec fails, as it does without a build for this torch
from ttsbench.dataprep.chunking import ChunkOptions
from ttsbench.dataprep.dataset import load_splits
from ttsbench.dataprep.prepare import PrepareOptions, prepare
from ttsbench.dataprep.splits import SplitOptions
voice, out = Path({str(voice_dataset)!r}), Path({str(tmp_path / "voice")!r})
shutil.copytree(voice / "transcripts", out / "transcripts")
source = json.loads((voice / "prepare.json").read_text())["recordings"][0]["path"]
chunk, split = ChunkOptions(max_seconds=8), SplitOptions(eval_fraction=0.25)
options = PrepareOptions(out=out, progress=False, chunk=chunk, split=split)
made = prepare([source], options)
rows, bad = load_splits(str(out)).rows("train")
print(json.dumps([made.manifest.counts["train"]["clips"], len(rows), len(bad)]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    made, decoded, bad = json.loads(done.stdout.strip().splitlines()[-1])
    assert made == decoded > 0 and bad == 0


def test_a_dataset_cell_libsndfile_cannot_read_decodes_through_pyav(tmp_path):
    import io

    import av

    from ttsbench.dataprep.audio import decode_file_or_bytes

    rate, seconds = 24000, 1.0
    t = np.arange(int(rate * seconds)) / rate
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        wave = (0.3 * np.sin(2 * np.pi * 220 * t))[None].astype(np.float32)
        frame = av.AudioFrame.from_ndarray(wave, format="fltp", layout="mono")
        frame.rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    with pytest.raises(sf.LibsndfileError):
        sf.read(io.BytesIO(buffer.getvalue()))  # what the dataset reader used to rely on alone
    audio, got = decode_file_or_bytes(buffer.getvalue())
    assert got == rate and abs(len(audio) / rate - seconds) < 0.1 and 0.15 < np.max(np.abs(audio)) < 0.5


def test_a_suite_read_by_a_relative_or_an_absolute_path_is_the_same_run(tiny_csm, tmp_path, monkeypatch):
    """The demo benches suites/demo.yaml; `pytest suites/` reads /abs/suites/demo.yaml: the same weights."""
    import yaml

    from ttsbench.benchmark.suite import load_suite

    (tmp_path / "suites").mkdir()
    shutil.copytree(tiny_csm, tmp_path / "ckpt")
    suite = {
        "name": "r",
        "model": {"backend": "csm", "checkpoint": "../ckpt"},
        "prompts": ["Hi."],
        "variants": ["base"],
    }
    (tmp_path / "suites" / "r.yaml").write_text(yaml.safe_dump({**suite, "anchors": [], "scorers": {"signal": {}}}))
    monkeypatch.chdir(tmp_path)
    relative, absolute = load_suite("suites/r.yaml", check_paths=False), load_suite(tmp_path / "suites" / "r.yaml")
    assert relative.model.checkpoint != absolute.model.checkpoint  # as written, resolved against each path
    assert relative.identity() == absolute.identity()
