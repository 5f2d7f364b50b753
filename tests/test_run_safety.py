"""Nothing lost or duplicated in a run directory: torn and damaged lines, two writers, lost audio,
reports that would write over what they read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from dataclasses import replace

from ttsbench.benchmark.runner import RunError, run_suite
from ttsbench.benchmark.store import RunStore, StoreError
from ttsbench.benchmark.suite import load_suite
from test_bench import write_suite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fake_run(voice_dataset, tmp_path_factory):
    folder = tmp_path_factory.mktemp("safe")
    suite = load_suite(
        write_suite(
            folder,
            voice_dataset,
            variants=["base", "cloned"],
            anchors=["ground_truth"],
            scorers={"signal": {}, "speaker_sim": {}},
        )
    )
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
    keys = [(*r.key, r.scorer) for r in RunStore(run).score_records()]
    assert len(keys) == len(set(keys))  # no pair was written twice


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
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; sys.path[:0] = ['.']\n"
                "from ttsbench.benchmark.store import RunStore\n"
                f"with RunStore({str(run)!r}).lock():\n"
                "    print('held', flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match=rf"in use by ttsbench pid {holder.pid} on .*since"):
            run_suite(suite, run, progress=False)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert run_suite(suite, run, progress=False).generated == 0  # a killed holder leaves no stale lock


def test_lost_audio_is_generated_again_and_said(fake_run, tmp_path, caplog):
    suite, _, run = copy_run(fake_run, tmp_path)
    gone = sorted((run / "audio" / "base").glob("*.wav"))[:2]
    for path in gone:
        path.unlink()
    again = run_suite(suite, run, progress=False)
    assert (again.generated, again.regenerated) == (2, 2)
    assert "2 samples under" in caplog.text and "its audio file was missing" in caplog.text  # a warning
    assert again.summary.to_dict()["samples"]["base"]["regenerated"] == 2
    assert all(p.is_file() for p in gone)


def test_audio_changed_after_scoring_is_refused_by_readers_and_made_again_by_bench(fake_run, tmp_path, caplog):
    import soundfile as sf

    from ttsbench.gates.gates import check, parse_gate
    from ttsbench.reports.html import build_report

    suite, first, run = copy_run(fake_run, tmp_path)
    wav = sorted((run / "audio" / "cloned").glob("*.wav"))[0]
    audio, rate = sf.read(wav, dtype="float32")
    sf.write(wav, audio[: len(audio) // 2], rate)  # truncated after it was scored
    with pytest.raises(StoreError, match=r"1 audio file\(s\) changed after they were made and scored \(audio/cloned/"):
        build_report([run], tmp_path / "r.html")
    outcome = check(parse_gate("cloned.duration >= 0", suite), run, suite)
    assert not outcome.passed and "changed after they were made" in outcome.message
    again = run_suite(suite, run, progress=False)
    assert (again.generated, again.regenerated) == (1, 1)
    assert "its audio file changed after it was made" in caplog.text
    assert again.summary.to_dict()["summaries"] == first.summary.to_dict()["summaries"]  # the fake makes the same
    build_report([run], tmp_path / "r.html")


def test_a_sample_line_of_another_text_is_made_again(fake_run, tmp_path, caplog):
    suite, first, run = copy_run(fake_run, tmp_path)
    lines = (run / "samples.jsonl").read_text().splitlines()
    other = {**json.loads(lines[0]), "text": "Words of another suite."}
    stranger = {**json.loads(lines[1]), "prompt_id": "not-planned", "text": "A prompt of another suite."}
    (run / "samples.jsonl").write_text("\n".join([*lines, json.dumps(other), json.dumps(stranger)]) + "\n")
    from ttsbench.benchmark.results import compute_summary

    read = compute_summary(RunStore(run)).to_dict()["samples"][other["variant"]]
    assert read["missing"] == 1 and read["n"] == first.summary.to_dict()["samples"][other["variant"]]["n"] - 1
    assert "2 line(s) of samples.jsonl are not of this run's plan" in caplog.text
    again = run_suite(suite, run, progress=False)
    assert (again.generated, again.regenerated) == (1, 1) and "another text" in caplog.text
    assert again.summary.to_dict()["summaries"] == first.summary.to_dict()["summaries"]


def test_samples_without_their_run_json_are_not_mixed_with_another_configuration(fake_run, tmp_path):
    suite, _, run = copy_run(fake_run, tmp_path)
    (run / "run.json").unlink()
    before = (run / "samples.jsonl").read_bytes()
    with pytest.raises(RunError, match="holds samples but no run.json .*restore run.json, or pass a new --out"):
        run_suite(replace(suite, seeds=(5,)), run, progress=False)
    assert (run / "samples.jsonl").read_bytes() == before and not (run / "run.json").exists()


def test_gates_on_a_run_of_another_suite_fail_saying_so(fake_run, tmp_path):
    from ttsbench.gates.gates import check, parse_gate

    suite, _, run = copy_run(fake_run, tmp_path)
    other = replace(suite, seeds=(7,))
    outcome = check(parse_gate("base.duration >= 0", other), run, other)
    assert not outcome.passed and "holds a run of another suite or configuration (fake-test" in outcome.message
    assert check(parse_gate("base.duration >= 0", suite), run, suite).passed


def test_reports_never_write_over_what_they_read(fake_run, tmp_path):
    from ttsbench.reports.html import ReportError, build_report

    _, _, run = copy_run(fake_run, tmp_path)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    for target, message in (
        (run / "samples.jsonl", "an .html file"),
        (tmp_path / "x.json", "an .html file"),
        (run / "summary.html", "a file of the run"),
    ):
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
    assert RunStore(run).summary().samples  # the report wrote nothing into the run, and took nothing from it


def _as_version_1(run, suite_path):
    """The run directory as ttsbench wrote it before plans were typed and a scorer's values went in one line:
    run.json holding the suite's merged YAML as `config`, scores.jsonl one metric per line."""
    from ttsbench.benchmark.suite import DEFAULTS, merge, read_yaml

    new = json.loads((run / "run.json").read_text())
    old = {
        k: new[k]
        for k in (
            "suite",
            "suite_path",
            "created",
            "dataset_key",
            "adapter",
            "adapter_sha",
            "merged",
            "engine",
            "reference_clips",
            "planned",
            "label",
            "versions",
            "git_sha",
            "machine",
        )
    }
    given = read_yaml(suite_path)
    config = {
        k: v for k, v in merge(DEFAULTS, given).items() if k not in ("gates", "out", "description", "report", "target")
    }
    config["scorers"] = given["scorers"]
    old.update(
        version=1,
        config=config,
        config_key="a key computed the old way",
        gates=[],
        prompts={"name": "inline", "version": "1", "n": 3},
        dataset=new["plan"]["dataset"],
    )
    (run / "run.json").write_text(json.dumps(old))
    lines = []
    for line in (run / "scores.jsonl").read_text().splitlines():
        d = json.loads(line)
        lines += (
            [
                json.dumps(
                    {
                        "variant": d["variant"],
                        "prompt_id": d["prompt_id"],
                        "seed": d["seed"],
                        **v,
                        "scorer": d["scorer"],
                        "audio_sha": d["audio_sha"],
                    }
                )
                for v in d["values"]
            ]
            if "values" in d
            else [line]
        )
    (run / "scores.jsonl").write_text("\n".join(lines) + "\n")


def test_a_version_2_run_resumes_without_work_and_is_keyed_again(fake_run, tmp_path):
    """run.json version 2 (before families declared their own settings and rows had sources): its plan's
    generation held every family's keys, so its key differs; the same configuration is keyed again, no work."""
    suite, _, run = copy_run(fake_run, tmp_path)
    record = json.loads((run / "run.json").read_text())
    generation = record["plan"]["generation"]
    generation.update({"repetition_penalty": None, "depth_decoder_temperature": None, "depth_decoder_top_p": None})
    record.update(version=2, config_key="0" * 64)
    record.pop("row_shas", None)
    (run / "run.json").write_text(json.dumps(record))
    again = run_suite(suite, run, progress=False)
    assert (again.generated, again.scored) == (0, 0)
    rewritten = json.loads((run / "run.json").read_text())
    assert rewritten["version"] == 3 and rewritten["config_key"] != "0" * 64
    other = replace(suite, seeds=(7,))  # and a configuration that did change is still refused
    with pytest.raises(RunError, match=r"different configuration \(suite settings changed\)"):
        run_suite(other, run, progress=False)


def test_an_older_run_directory_reads_reports_and_resumes_without_work(fake_run, tmp_path):
    """run.json version 1 and one-metric-per-line scores: read into the same plan and scores, reported, and a
    bench of the same suite does no model work and writes run.json again as the current version (3)."""
    from ttsbench.benchmark.results import compute_summary
    from ttsbench.reports.html import build_report

    suite, first, run = copy_run(fake_run, tmp_path)
    _as_version_1(run, suite.path)
    old = RunStore(run).run()
    assert old.plan.row_names == suite.row_names and old.config_key == ""  # keyed again, as today's plan
    assert compute_summary(RunStore(run)).summaries == first.summary.summaries
    assert build_report([run], tmp_path / "report.html").audio_elements > 0
    again = run_suite(suite, run, progress=False)
    assert (again.generated, again.scored) == (0, 0)
    record = json.loads((run / "run.json").read_text())
    assert record["version"] == 3 and record["plan"]["name"] == suite.name and record["config_key"]
    other = load_suite(
        write_suite(
            tmp_path / "other",
            suite.dataset,
            variants=["base", "cloned"],
            seeds=3,
            anchors=["ground_truth"],
            scorers={"signal": {}, "speaker_sim": {}},
        )
    )
    _as_version_1(run, suite.path)
    with pytest.raises(Exception, match="different configuration"):  # another plan is still refused
        run_suite(other, run, progress=False)
