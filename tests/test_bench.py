"""`ttsbench bench` with the fake backend: a whole run, resuming, failures, bad suites."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ttsbench.benchmark.runner import RunError, run_suite
from ttsbench.benchmark.store import RunStore
from ttsbench.benchmark.suite import SuiteError, load_suite

pytestmark = pytest.mark.slow

PROMPTS = [
    "The train leaves at seven from platform twelve.",
    "Did Margaret ever visit the old library in Lisbon?",
    "Good evening, everyone, and thank you for coming.",
]


def write_suite(folder: Path, dataset: Path, **overrides) -> Path:
    adapter = folder / "adapter"
    adapter.mkdir(parents=True, exist_ok=True)
    (adapter / "adapter_config.json").write_text("{}")
    suite = {
        "name": "fake-test",
        "model": {"backend": "fake"},
        "adapter": str(adapter),
        "dataset": str(dataset),
        "prompts": PROMPTS,
        "seeds": 2,
        "generation": {"batch_size": 4},
        **overrides,
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


@pytest.fixture(scope="module")
def finished_run(voice_dataset, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    suite = load_suite(write_suite(folder, voice_dataset))
    return suite, run_suite(suite, folder / "out", progress=False)


def value(summary, variant, metric):
    return next(s for s in summary["summaries"] if s["variant"] == variant and s["metric"] == metric)


def test_run_scores_every_variant_and_the_anchors(finished_run):
    suite, result = finished_run
    s = result.summary.to_dict()
    assert set(s["samples"]) == {"base", "cloned", "finetuned", "finetuned_cloned", "ground_truth", "impostor"}
    assert all(s["samples"][v.name]["n"] == 6 and s["samples"][v.name]["failed"] == 0 for v in suite.variants)
    assert s["label"].startswith("fake synthesizer")
    # The scorers are valid on the anchors: real target speech is understood and similar to the
    # reference; the impostor voice is clearly less similar.
    assert value(s, "ground_truth", "wer_micro")["mean"] < 0.3
    assert value(s, "ground_truth", "speaker_sim")["mean"] > value(s, "impostor", "speaker_sim")["mean"] + 0.1
    sim = value(s, "base", "speaker_sim")
    assert sim["ci_low"] <= sim["mean"] <= sim["ci_high"] and sim["n"] == 6
    assert value(s, "base", "stop_failure_rate")["mean"] == 0.0
    pair = next(
        c for c in s["comparisons"] if c["metric"] == "speaker_sim" and {c["a"], c["b"]} == {"base", "impostor"}
    )
    assert pair["n_pairs"] == 3 and pair["p_value"] is not None


def test_run_directory_layout(finished_run):
    import pandas as pd

    _, result = finished_run
    d = result.run_dir
    run = json.loads((d / "run.json").read_text())
    assert run["config_key"] and run["versions"]["jiwer"] and run["reference_clips"]
    assert len(list((d / "audio" / "base").glob("*.wav"))) == 6
    table = pd.read_csv(d / "summary.csv")
    assert {"variant", "metric", "mean", "ci_low", "ci_high", "n", "n_failed"} <= set(table.columns)
    records = RunStore(d).score_records()
    record = next(r for r in records if r.scorer.startswith("wer:") and r.variant == "base")
    wer = next(s for s in record.values if s.metric == "wer")
    assert {"transcript", "ref_norm", "hyp_norm", "model", "substitutions", "deletions", "insertions"} <= set(
        wer.detail
    )
    assert record.audio_sha and record.complete and {s.metric for s in record.values} == {"wer", "cer"}


def test_finished_run_does_no_model_work(finished_run, monkeypatch):
    suite, first = finished_run
    monkeypatch.setattr("ttsbench.benchmark.runner.load_synth", lambda *a: pytest.fail("loaded a synthesizer"))
    monkeypatch.setattr("ttsbench.benchmark.scorers.load_scorer", lambda *a: pytest.fail("loaded a scorer"))
    again = run_suite(suite, first.run_dir, progress=False)
    assert (again.generated, again.scored) == (0, 0)
    assert again.summary == first.summary


def test_killed_run_resumes_to_the_same_summary(finished_run, tmp_path):
    suite, first = finished_run
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "ttsbench.cli", "bench", str(suite.path), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        path = out / "scores.jsonl"
        if path.exists() and path.read_text().count("\n") > 10:  # mid-way through scoring
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    resumed = subprocess.run(cmd, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summaries"] == first.summary.to_dict()["summaries"]
    keys = [
        (d["variant"], d["prompt_id"], d["seed"])
        for d in map(json.loads, (out / "samples.jsonl").read_text().splitlines())
    ]
    assert len(keys) == len(set(keys))
    score_keys = [
        (d["variant"], d["prompt_id"], d["seed"], d["scorer"])  # one record per (sample, scorer)
        for d in map(json.loads, (out / "scores.jsonl").read_text().splitlines())
    ]
    assert len(score_keys) == len(set(score_keys))


def test_failed_samples_are_counted_never_dropped(voice_dataset, tmp_path):
    model = {"backend": "fake", "fail_texts": ["platform"], "never_stop_texts": ["Margaret"], "nan_texts": ["evening"]}
    suite = load_suite(
        write_suite(
            tmp_path,
            voice_dataset,
            model=model,
            variants=["base"],
            anchors=[],
            prompts=PROMPTS + ["Short and silent.", 'Tiny <b>&amp;</b> "quoted" — ünïcödé?'],
            scorers={"wer": {}, "speaker_sim": {}, "signal": {}},
        )
    )
    s = run_suite(suite, tmp_path / "out", progress=False).summary.to_dict()
    assert s["samples"]["base"] == {"n": 10, "failed": 4, "missing": 0, "regenerated": 0}  # 2 seeds × (fail + NaN)
    wer = value(s, "base", "wer_macro")
    assert wer["n"] == 6 and wer["n_failed"] == 4
    assert value(s, "base", "stop_failure_rate")["mean"] == pytest.approx(2 / 6)
    samples = RunStore(tmp_path / "out").samples()
    assert any("NaN" in (x.error or "") for x in samples)


def test_silent_and_too_short_audio_are_scored_as_failures_of_the_metric(voice_dataset, tmp_path):
    model = {"backend": "fake", "silent_texts": ["silent"], "short_texts": ["tiny"]}
    suite = load_suite(
        write_suite(
            tmp_path,
            voice_dataset,
            model=model,
            variants=["base"],
            anchors=[],
            seeds=1,
            prompts=["This one is silent.", "A tiny one.", "A normal sentence to say."],
        )
    )
    run_suite(suite, tmp_path / "out", progress=False)
    scores = {(s.prompt_id, s.metric): s for s in RunStore(tmp_path / "out").current_scores()}
    assert scores[("p01", "wer")].value == 1.0  # nothing recognised: every word deleted
    assert (
        scores[("p01", "speaker_sim")].value is None
        and "too little speech" in scores[("p01", "speaker_sim")].detail["error"]
    )
    assert scores[("p02", "speaker_sim")].value is None
    assert scores[("p03", "speaker_sim")].value is not None


@pytest.mark.parametrize(
    "override, message",
    [
        ({"variants": ["base", "fancy"]}, "unknown name 'fancy'"),
        ({"model": {"backend": "nope"}}, "unknown backend 'nope'"),
        ({"scorers": {"mos": {}}}, "unknown scorer 'mos'"),
        ({"adapter": "/does/not/exist"}, "does not exist"),
        ({"prompts": []}, "prompt set is empty"),
        ({"seeds": 0}, "key 'seeds'"),
        ({"colour": "blue"}, "unknown key(s) colour"),
        ({"generation": {"temprature": 0.7}}, "key 'generation'"),
    ],
)
def test_bad_suites_name_the_file_and_key(voice_dataset, tmp_path, override, message):
    path = write_suite(tmp_path, voice_dataset, **override)
    with pytest.raises(SuiteError) as e:
        load_suite(path)
    assert message in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_include_and_override(voice_dataset, tmp_path):
    base = write_suite(tmp_path, voice_dataset, seeds=5, generation={"temperature": 0.5, "top_k": 20})
    child = tmp_path / "child.yaml"
    child.write_text(f"include: {base.name}\nname: child\nseeds: [7]\ngeneration: {{top_k: 10}}\n")
    suite = load_suite(child)
    assert suite.name == "child" and suite.seeds == (7,)
    assert (suite.generation.temperature, suite.generation.top_k) == (0.5, 10)
    assert suite.dataset == voice_dataset


def test_default_prompt_set_ships():
    from ttsbench.benchmark.suite import load_prompts

    prompts = load_prompts("default", Path("x.yaml"))
    assert 18 <= len(prompts.prompts) <= 24 and prompts.version
    texts = [p.text for p in prompts.prompts]
    assert any("?" in t for t in texts) and any(any(c.isdigit() for c in t) for t in texts)


def test_dataset_without_reference_clips(voice_dataset, tmp_path):
    import datasets

    ds = datasets.load_from_disk(str(voice_dataset))
    no_ref = tmp_path / "noref"
    ds.filter(lambda s: s != "reference", input_columns="split").save_to_disk(str(no_ref))
    suite = load_suite(write_suite(tmp_path, no_ref))
    with pytest.raises(RunError, match="no reference clips"):
        run_suite(suite, tmp_path / "out", progress=False)


def test_changed_suite_does_not_resume_into_an_old_run(finished_run, voice_dataset, tmp_path):
    _, first = finished_run
    suite = load_suite(write_suite(tmp_path, voice_dataset, seeds=1))
    with pytest.raises(RunError, match="different configuration"):
        run_suite(suite, first.run_dir, progress=False)


def test_planned_samples_never_produced_count_as_missing_and_fail_the_gates(finished_run, tmp_path):
    import shutil

    from ttsbench.benchmark.records import SampleCounts
    from ttsbench.benchmark.results import current_summary
    from ttsbench.gates.gates import check, parse_gate

    suite, first = finished_run
    run = tmp_path / "half"
    shutil.copytree(first.run_dir, run)
    lines = (run / "samples.jsonl").read_text().splitlines()
    (run / "samples.jsonl").write_text(
        "".join(line + "\n" for line in lines if json.loads(line)["variant"] != "cloned")
    )
    (run / "summary.json").unlink()  # as a run killed before the summary: recomputed from the store
    assert RunStore(run).summary() is None
    summary = current_summary(RunStore(run))
    assert summary.samples["cloned"] == SampleCounts(n=0, failed=0, missing=6, regenerated=0)
    assert summary.samples["base"].missing == 0
    sim = summary.summary("cloned", "speaker_sim")
    assert sim.n == 0 and sim.n_failed == 6
    for text in ("*.failed <= 0", "cloned.failed_rate <= 0"):
        outcome = check(parse_gate(text, suite), run, suite)
        assert not outcome.passed and "missing" in outcome.message, outcome.message
    assert check(parse_gate("base.failed <= 0", suite), run, suite).passed


def test_repeated_seeds_are_refused(voice_dataset, tmp_path):
    path = write_suite(tmp_path, voice_dataset, seeds=[0, 0])
    with pytest.raises(SuiteError, match=r"key 'seeds'.*repeats \[0\]"):
        load_suite(path)


def test_merged_checkpoints_are_rows_of_their_own(voice_dataset, tmp_path):
    merged = tmp_path / "ft" / "merged"
    merged.mkdir(parents=True)
    (merged / "config.json").write_text("{}")
    suite = load_suite(
        write_suite(
            tmp_path,
            voice_dataset,
            merged=str(merged),
            anchors=[],
            variants=["base", "finetuned", "finetuned_cloned", "merged", "merged_cloned"],
            scorers={"speaker_sim": {}, "signal": {}},
        )
    )
    summary = run_suite(suite, tmp_path / "out", progress=False).summary
    assert summary.samples["merged"].n == 6 and summary.samples["merged_cloned"].n == 6
    c = summary.comparison("merged", "finetuned", ("speaker_sim",))
    assert c is not None and c.n_pairs == 3
    from ttsbench.reports.html import sentence

    assert sentence(c, summary.metric("speaker_sim")).startswith("merged vs finetuned: merging ")
    assert RunStore(tmp_path / "out").run().merged == str(merged.resolve())


def test_merged_rows_need_a_merged_checkpoint(voice_dataset, tmp_path):
    path = write_suite(tmp_path, voice_dataset, variants=["base", "merged"])
    with pytest.raises(SuiteError, match=r"key 'merged'.*finetune --merge.*finetune: \{merge: true\}"):
        load_suite(path)
