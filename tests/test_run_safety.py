"""Nothing lost or duplicated in a run directory: torn and damaged lines, two writers, lost audio,
reports that would write over what they read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from bench.runner import run_suite
from bench.store import RunStore, StoreError
from bench.suite import load_suite
from test_bench import write_suite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fake_run(voice_dataset, tmp_path_factory):
    folder = tmp_path_factory.mktemp("safe")
    suite = load_suite(write_suite(folder, voice_dataset, variants=["base", "cloned"], anchors=["ground_truth"],
                                   scorers={"signal": {}, "speaker_sim": {}}))
    return suite, run_suite(suite, folder / "run", progress=False)


def copy_run(fake_run, tmp_path):
    suite, first = fake_run
    run = tmp_path / "run"
    shutil.copytree(first.run_dir, run, ignore=shutil.ignore_patterns(".lock"))
    return suite, first, run


def test_a_torn_score_write_is_scored_again(fake_run, tmp_path):
    suite, first, run = copy_run(fake_run, tmp_path)
    lines = (run / "scores.jsonl").read_text().splitlines(keepends=True)
    # a kill mid-write: the last sample's last metric line is cut in half, its earlier metrics stay
    (run / "scores.jsonl").write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    again = run_suite(suite, run, progress=False)
    assert again.scored == 1 and again.generated == 0
    assert again.summary.to_dict()["summaries"] == first.summary.to_dict()["summaries"]
    keys = [(d["variant"], d["prompt_id"], d["seed"], d["metric"], d["scorer"]) for d in RunStore(run).scores()]
    assert len(keys) == len(set(keys))  # the metrics it had were not written twice


def test_a_damaged_line_is_named_and_repair_keeps_every_intact_line(fake_run, tmp_path):
    suite, first, run = copy_run(fake_run, tmp_path)
    lines = (run / "scores.jsonl").read_text().splitlines(keepends=True)
    lines[3] = '{"variant": "base", "prom\x00garbage\n'
    (run / "scores.jsonl").write_text("".join(lines))
    with pytest.raises(StoreError, match=r"scores.jsonl line 4: damaged .*--repair"):
        run_suite(suite, run, progress=False)
    repaired = run_suite(suite, run, progress=False, repair=True)
    assert repaired.scored == 1  # only the sample whose line was lost is scored again
    assert repaired.summary.to_dict()["summaries"] == first.summary.to_dict()["summaries"]
    backups = list(run.glob("scores.jsonl.damaged-*"))
    assert len(backups) == 1 and "garbage" in backups[0].read_text()  # the original is kept


def test_a_second_bench_on_the_same_run_directory_is_refused(fake_run, tmp_path):
    suite, _, run = copy_run(fake_run, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path[:0] = ['.']\n"
        "from bench.store import RunStore\n"
        f"with RunStore({str(run)!r}).lock():\n"
        "    print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match=rf"in use by ttsbench pid {holder.pid} on .*since"):
            run_suite(suite, run, progress=False)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert run_suite(suite, run, progress=False).generated == 0  # a killed holder leaves no stale lock


def test_lost_audio_is_generated_again_and_said(fake_run, tmp_path, capsys):
    suite, _, run = copy_run(fake_run, tmp_path)
    gone = sorted((run / "audio" / "base").glob("*.wav"))[:2]
    for path in gone:
        path.unlink()
    again = run_suite(suite, run, progress=False)
    assert (again.generated, again.regenerated) == (2, 2)
    assert "2 samples had lost their audio files" in capsys.readouterr().err
    assert again.summary.to_dict()["samples"]["base"]["regenerated"] == 2
    assert all(p.is_file() for p in gone)


def test_reports_never_write_over_what_they_read(fake_run, tmp_path):
    from reports.html import ReportError, build_report

    _, _, run = copy_run(fake_run, tmp_path)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    for target, message in ((run / "samples.jsonl", "an .html file"), (tmp_path / "x.json", "an .html file"),
                            (run / "summary.html", "a file of the run")):
        with pytest.raises(ReportError, match=message):
            build_report([run], target)
    with pytest.raises(ReportError, match="inside the run"):
        build_report([run], tmp_path / "r.html", audio_dir=run / "audio")
    notes = tmp_path / "notes.html"
    notes.write_text("my notes")
    with pytest.raises(ReportError, match="not a ttsbench report.*--overwrite"):
        build_report([run], notes)
    assert notes.read_text() == "my notes"
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before
    build_report([run], run / "report.html")
    build_report([run], run / "report.html")  # a report is rewritten freely
    assert json.loads((run / "report.json").read_text())["kind"] == "ttsbench report"
    build_report([run], notes, overwrite=True)
    assert "my notes" not in notes.read_text()
    assert RunStore(run).summary().samples
