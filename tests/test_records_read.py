"""Every record file has one typed reader: a file that is damaged, or valid JSON of the wrong shape, is one line
naming the file, the line and the field, and a fix that does not send the user round in a loop."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

import ttsbench as tb
from ttsbench.benchmark.store import RunStore
from ttsbench.core.records import RecordError


@pytest.fixture
def run_copy(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("*.lock"))
    return run


@pytest.mark.parametrize(
    "text, said",
    [
        ('{"version": 2}', r"run.json: field 'suite' is missing; bench into a new --out"),
        ("[1, 2]", r"run.json: not a RunRecord \(a JSON object was expected, got a list\)"),
        ('{"version": "3"}', r"run.json: field 'version' is \"3\", not a whole number"),
        ('{"version": 3, "suite": 5}', r"run.json: field 'suite' is a number 5, not text"),
        ("{'suite': 1}", r"run.json: damaged \(not JSON: line 1 column 2"),
    ],
)
def test_a_run_json_of_the_wrong_shape_names_its_field(run_copy, text, said):
    (run_copy / "run.json").write_text(text)
    with pytest.raises(RecordError, match=said):
        RunStore(run_copy).run()


def test_a_run_json_whose_plan_does_not_read_says_so(run_copy):
    data = json.loads((run_copy / "run.json").read_text())
    data["plan"] = {"name": "x"}
    (run_copy / "run.json").write_text(json.dumps(data))
    with pytest.raises(RecordError, match=r"run.json: field 'plan' is not a suite \(KeyError"):
        RunStore(run_copy).run()


def test_a_jsonl_line_of_the_wrong_shape_names_line_and_field_and_repair_keeps_the_rest(run_copy):
    store = RunStore(run_copy)
    lines = store.samples_path.read_text().splitlines()
    bad = {**json.loads(lines[1]), "seed": "one"}
    store.samples_path.write_text("\n".join([lines[0], json.dumps(bad), *lines[2:]]) + "\n")
    said = r"samples.jsonl line 2: field 'seed' is text \"one\", not a whole number.*--repair"
    with pytest.raises(RecordError, match=said):
        store.samples()
    scores = store.scores_path.read_text().splitlines()
    store.scores_path.write_text("\n".join([scores[0], '{"variant": "base"}', *scores[1:]]) + "\n")
    with pytest.raises(RecordError, match=r"scores.jsonl line 2: not a score record \(field 'prompt_id'\)"):
        store.score_records()
    store.ratings_path.write_text('{"rater": "ann", "mode": "mos"}\n')
    with pytest.raises(RecordError, match=r"ratings.jsonl line 1: field 'trial' is missing.*--repair"):
        store.ratings()

    said = store.repair()
    assert len(said) == 3 and all("dropped 1 damaged" in line for line in said)
    assert len(store.samples()) == len(lines) - 1 and len(store.score_records()) == len(scores)
    assert store.ratings() == [] and list(run_copy.glob("ratings.jsonl.damaged-*"))


def test_a_damaged_summary_is_computed_again_and_said(run_copy, caplog):
    before = tb.open_run(run_copy).summary()
    (run_copy / "summary.json").write_text('{"version": 1, "suite": "tiny", "samples": []}')
    with caplog.at_level(logging.WARNING, logger="ttsbench"):
        again = tb.open_run(run_copy).summary()
    assert "field 'label' is missing; it is computed again" in caplog.text
    assert again.equals(before)


def test_a_report_record_of_the_wrong_shape_is_not_taken_for_a_report(run_copy, tmp_path):
    from ttsbench.benchmark.records import ReportRecord
    from ttsbench.reports.html import ReportError, build_report

    page = tmp_path / "r.html"
    build_report([run_copy], page)
    page.with_suffix(".json").write_text('{"version": 1, "report": "r.html", "kind": 7}')
    with pytest.raises(RecordError, match=r"r.json: field 'runs' is missing; delete it and write the report again"):
        ReportRecord.read_file(page.with_suffix(".json"))
    with pytest.raises(ReportError, match="r.json, which exists and is not this report's; pass another name"):
        build_report([run_copy], page, overwrite=True)  # never replaced: it may be someone's file
    page.with_suffix(".json").unlink()
    build_report([run_copy], page, overwrite=True)  # the advice, followed, works


def test_a_damaged_finetune_record_is_named_and_overwrite_mends_it(voice_dataset, tiny_csm, tmp_path):
    from ttsbench.models.records import read_finetune_record
    from ttsbench.models.train import finetune

    out = tmp_path / "ft"
    settings = {"max_steps": 2, "per_device_batch_size": 2, "gradient_accumulation_steps": 1}
    tb.finetune(voice_dataset, base=str(tiny_csm), out=out, progress=False, **settings)
    (out / "finetune.json").write_text('{"version": 1, "key": ["a"]}')
    with pytest.raises(RecordError, match=r"finetune.json: field 'key' is a list \[\"a\"\], not text; fine-tune again"):
        read_finetune_record(out)
    with pytest.raises(RecordError, match="--overwrite"):
        tb.finetune(voice_dataset, base=str(tiny_csm), out=out, progress=False, **settings)
    tb.finetune(voice_dataset, base=str(tiny_csm), out=out, progress=False, overwrite=True, **settings)
    assert read_finetune_record(out).steps == 2
    assert finetune  # the API and the stage share the reader


def test_a_damaged_dataset_record_or_transcript_names_its_place(voice_dataset, target_voice, tmp_path):
    from ttsbench.dataprep.records import PrepareManifest, Transcript

    data = tmp_path / "data"
    shutil.copytree(voice_dataset, data)
    (data / "prepare.json").write_text('{"version": 1, "clips": "many"}')
    with pytest.raises(RecordError, match=r"prepare.json: field '\w+' is missing.*prepare again with --overwrite"):
        PrepareManifest.read(data)
    with pytest.raises(RecordError, match="prepare again with --overwrite"):
        tb.prepare([target_voice], data, progress=False)

    transcript = next((data / "transcripts").glob("*.json"))
    text = transcript.read_text()
    transcript.write_text(text.replace('"text":', '"text"', 1))  # a hand edit that lost a colon
    with pytest.raises(RecordError, match=rf"{transcript.name}: not valid JSON \(line \d+ column \d+: Expecting ':'"):
        tb.prepare([target_voice], data, progress=False, overwrite=True)
    assert transcript.read_text() != text  # the edit is left for the user to fix, never transcribed over
    segments = json.loads(text)
    segments["segments"][0]["start"] = "soon"
    transcript.write_text(json.dumps(segments))
    with pytest.raises(RecordError, match=r"not a transcript \(segments\[0\]: could not convert string to float"):
        Transcript.load(transcript)
