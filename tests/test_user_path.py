"""The path our users run, proven offline: Hub ids resolved through a Hugging Face cache of random
stand-ins in the published layouts (tests/standins.py), loaded by the very code users run.

Everything goes through the `ttsbench` command in a subprocess with `HF_HUB_OFFLINE=1` and
`HF_HUB_CACHE` set, as a user's shell would have them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import standins
from ttsbench.benchmark.store import RunStore

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PROMPTS = ["Good evening, everyone.", "The train leaves at seven."]


@pytest.fixture(scope="module")
def hub(tiny_csm, tiny_orpheus, tmp_path_factory):
    root = tmp_path_factory.mktemp("hub")
    cache = standins.hub_cache(root, tiny_csm, tiny_orpheus)
    whisper = standins.whisper_checkpoint(root / "whisper" / "random-tiny.pt")
    env = {
        **os.environ,
        "HF_HUB_CACHE": str(cache),
        "HF_HUB_OFFLINE": "1",
        "HOME": str(root / "home"),
        "PYTHONPATH": str(REPO),
    }
    return SimpleNamespace(root=root, cache=cache, whisper=whisper, env=env)


def cli(hub, *args, timeout=1200):
    return subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", *map(str, args)],
        env=hub.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def suite_file(path: Path, **keys) -> Path:
    path.write_text(yaml.safe_dump(keys))
    return path


def test_the_shipped_csm1b_suite_runs_against_the_stand_ins(hub, voice_dataset, tmp_path):
    """suites/csm1b.yaml as shipped, by Hub id: fine-tune (60 steps), four variants, both anchors,
    WER through openai-whisper, similarity through ECAPA, the report, the gates collected."""
    run = tmp_path / "run"
    suite = suite_file(
        tmp_path / "offline.yaml",
        include=str(REPO / "suites" / "csm1b.yaml"),
        dataset=str(voice_dataset),
        out=str(run),
        prompts=PROMPTS,
        seeds=1,
        scorers={"wer": {"asr": str(hub.whisper)}},
    )
    checked = cli(hub, "check", suite)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "csm sesame/csm-1b [tiny random model" in checked.stdout and "ecapa from speechbrain" in checked.stdout
    proc = cli(hub, "bench", suite, "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["samples"]) == {
        "base",
        "cloned",
        "finetuned",
        "finetuned_cloned",
        "merged",
        "merged_cloned",
        "ground_truth",
        "impostor",
    }
    assert all(c["n"] > 0 and c["failed"] == 0 for c in summary["samples"].values())
    scorers = " ".join(summary["scorers"])
    assert "wer:" in scorers and "speaker_sim:" in scorers
    run_record = json.loads((run / "run.json").read_text())
    assert "tiny random model" in run_record["label"] and "random Whisper" in run_record["label"]
    finetune = json.loads((run / "finetune" / "finetune.json").read_text())
    assert finetune["base"] == "sesame/csm-1b" and finetune["steps"] == 60 and finetune["backend"] == "peft"
    assert finetune["merged"] and run_record["merged"] == str(Path(finetune["merged"]).resolve())
    scores = RunStore(run).current_scores()
    wer = next(s for s in scores if s.metric == "wer" and s.value is not None)
    assert wer.detail["model"].startswith("openai-whisper:") and wer.detail["model"].endswith("random-tiny.pt")
    sims = [s for s in scores if s.metric == "speaker_sim"]
    assert sims and all(s.value is None or -1.0 <= s.value <= 1.0 for s in sims)
    assert any(s.value is not None for s in sims)
    report = cli(hub, "report", run, "-o", run / "report.html")
    assert report.returncode == 0, report.stderr
    assert "tiny random model" in (run / "report.html").read_text()
    gates = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "ttsbench.gates.plugin",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            str(suite),
        ],
        env=hub.env,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert gates.returncode == 0 and "12 tests collected" in gates.stdout, gates.stdout + gates.stderr
    assert "merging" in (run / "report.html").read_text()  # merged vs its adapter, in words


def test_wavlm_similarity_through_the_cache(hub, voice_dataset, tmp_path):
    suite = suite_file(
        tmp_path / "wavlm.yaml",
        model={"backend": "fake"},
        dataset=str(voice_dataset),
        prompts=PROMPTS,
        seeds=1,
        variants=["base"],
        anchors=["ground_truth"],
        scorers={"speaker_sim": {"encoder": "wavlm"}},
        out=str(tmp_path / "run"),
    )
    proc = cli(hub, "bench", suite, "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    scores = RunStore(tmp_path / "run").current_scores()
    assert len(scores) >= 3 and all(s.value is not None for s in scores)
    assert scores[0].scorer.startswith("speaker_sim:")


def test_finetune_by_hub_id_with_merge_and_a_suite_naming_the_merged_checkpoint(hub, voice_dataset, tmp_path):
    out = tmp_path / "ft"
    proc = cli(
        hub,
        "finetune",
        voice_dataset,
        "--base",
        "sesame/csm-1b",
        "--out",
        out,
        "--max-steps",
        "3",
        "--per-device-batch-size",
        "2",
        "--gradient-accumulation-steps",
        "1",
        "--merge",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "merged" / "config.json").is_file() and (out / "merged" / "tokenizer_config.json").is_file()
    suite = suite_file(
        tmp_path / "merged.yaml",
        model={"backend": "csm", "checkpoint": "sesame/csm-1b"},
        adapter=str(out / "merged"),
        dataset=str(voice_dataset),
        prompts=PROMPTS[:1],
        seeds=1,
        variants=["base", "finetuned"],
        anchors=[],
        scorers={"signal": {}},
        generation={"max_seconds": 2.0},
        out=str(tmp_path / "run"),
    )
    proc = cli(hub, "bench", suite, "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["samples"]["finetuned"]["n"] == 1 and summary["samples"]["finetuned"]["failed"] == 0


@pytest.mark.parametrize("case", ["not cached", "no processor", "ecapa folder", "not whisper"])
def test_missing_or_broken_models_fail_in_one_line_before_any_work(case, hub, voice_dataset, tiny_csm, tmp_path):
    keys = dict(
        model={"backend": "csm", "checkpoint": "sesame/csm-1b"},
        dataset=str(voice_dataset),
        prompts=PROMPTS[:1],
        seeds=1,
        variants=["base"],
        anchors=[],
        scorers={"signal": {}},
        out=str(tmp_path / "run"),
    )
    env = hub.env
    if case == "not cached":
        keys["model"]["checkpoint"] = "someone/csm-2b"
        expected = "`hf download someone/csm-2b`"
    elif case == "no processor":
        cache = tmp_path / "hub"
        path = standins.csm(cache, tiny_csm, "sesame/csm-1b")
        for name in ("tokenizer.json", "tokenizer_config.json"):
            (path / name).unlink()
        env = {**hub.env, "HF_HUB_CACHE": str(cache)}
        expected = "cache entry has no tokenizer files"
    elif case == "ecapa folder":
        (tmp_path / "ecapa").mkdir()
        keys["scorers"] = {"speaker_sim": {"encoder": "ecapa", "source": str(tmp_path / "ecapa")}}
        keys["model"] = {"backend": "fake"}
        expected = "has no hyperparams.yaml"
    else:
        (tmp_path / "notwhisper.pt").write_bytes(b"not a checkpoint at all")
        keys["scorers"] = {"wer": {"asr": str(tmp_path / "notwhisper.pt")}}
        keys["model"] = {"backend": "fake"}
        expected = "not an openai-whisper checkpoint"
    suite = suite_file(tmp_path / "bad.yaml", **keys)
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "bench", str(suite)],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 2 and expected in proc.stderr, proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert not (tmp_path / "run" / "samples.jsonl").exists()  # nothing generated
    checked = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "check", str(suite)],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert checked.returncode == 1 and expected in checked.stdout and "MISS" in checked.stdout


def test_check_without_a_suite_describes_the_machine(hub):
    proc = cli(hub, "check")
    assert proc.returncode == 0 and "no CUDA GPU" in proc.stdout and "transformers + PEFT" in proc.stdout


def test_perf_gpu_in_the_cli_help():
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "perf", "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert "gpu" in proc.stdout and "--points" in proc.stdout


def test_orpheus_by_hub_id_with_snac_from_its_own_repository(hub, voice_dataset, tmp_path):
    """canopylabs/orpheus-3b-0.1-ft from the cache, SNAC from hubertsiuzdak/snac_24khz: as users run it."""
    suite = suite_file(
        tmp_path / "orpheus.yaml",
        include=str(REPO / "suites" / "orpheus3b.yaml"),
        dataset=str(voice_dataset),
        out=str(tmp_path / "run"),
        prompts=PROMPTS[:1],
        seeds=1,
        variants=["base", "cloned"],
        anchors=[],
        scorers={"wer": {"asr": str(hub.whisper)}},
        gates=[],
        generation={"max_seconds": 1.5},
        finetune=None,
    )
    checked = cli(hub, "check", suite)
    assert checked.returncode == 0 and "orpheus canopylabs/orpheus-3b-0.1-ft [tiny random model" in checked.stdout, (
        checked.stdout + checked.stderr
    )
    proc = cli(hub, "bench", suite, "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["samples"]["base"] == {"n": 1, "failed": 0, "missing": 0, "regenerated": 0}
    assert summary["samples"]["cloned"]["failed"] == 0


BATCHED = """
import json, sys
import numpy as np
from ttsbench.benchmark.scorers.speaker_sim import SpeakerEncoder
from ttsbench.dataprep.audio import AUDIO_SUFFIXES, load_audio
from pathlib import Path
files = sorted(p for p in Path(sys.argv[1]).rglob("*") if p.suffix in AUDIO_SUFFIXES)[::5][:7]
clips = [load_audio(p, 16000) for p in files] + [np.zeros(16000, np.float32), np.full(4000, 0.1, np.float32)]
out = {}
for encoder in ("ecapa", "wavlm"):
    enc = SpeakerEncoder(encoder)
    single, batched = [enc.embed(a) for a in clips], enc.embed_many(clips, batch_size=3)
    out[encoder] = [None if a is None or b is None else float(a @ b) if a is not None and b is not None else "one"
                    for a, b in zip(single, batched)] + [[a is None for a in single] == [b is None for b in batched]]
print(json.dumps(out))
"""


def test_batched_speaker_embeddings_match_one_at_a_time(hub, realspeech):
    """ECAPA and WavLM (the random stand-ins, through the cache) embed batches of padded clips; each
    embedding stays within a cosine of 0.999 of its one-at-a-time value, and silence or too short
    a clip is None either way."""
    proc = subprocess.run(
        [sys.executable, "-c", BATCHED, str(realspeech / "vctk")],
        env=hub.env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    for encoder, values in found.items():
        *cosines, same_failures = values
        assert same_failures and cosines[-2:] == [None, None], (encoder, values)
        assert all(c >= 0.999 for c in cosines[:-2]), (encoder, cosines)
