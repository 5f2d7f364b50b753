"""Nothing lost, round four: outputs never land on what another stage made, one process per output folder,
no gate passes over nothing, no score from nothing, and the Python API's wrong types are one line."""

from __future__ import annotations

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
