"""Shared fixtures: real speech from ../shared, synthetic voices made once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALSPEECH = REPO.parent / "shared" / "data" / "realspeech"


@pytest.fixture(scope="session")
def realspeech() -> Path:
    if not REALSPEECH.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{REALSPEECH} is missing: CI must run with ../shared beside the repo")
        pytest.skip(f"{REALSPEECH} is missing")
    return REALSPEECH


@pytest.fixture
def cxx():
    """torch.compile on a CPU (Inductor) writes C++ and needs a compiler to build it (build-essential)."""
    import shutil

    if not (shutil.which("g++") or shutil.which("c++")):
        pytest.skip("no C++ compiler: torch.compile on a CPU (Inductor) needs one (apt-get install g++)")


@pytest.fixture(scope="session")
def target_voice(tmp_path_factory) -> Path:
    """One minute of the hibari voice, with its text in target.wav.txt."""
    from ttsbench.dataprep.synthvoice import synth_voice

    return synth_voice(tmp_path_factory.mktemp("voices") / "target.wav", minutes=1.0, voice="hibari", seed=3)


@pytest.fixture(scope="session")
def voice_dataset(target_voice, tmp_path_factory) -> Path:
    """A prepared dataset of the target voice: short clips, so there are train, eval (2+) and reference rows."""
    from ttsbench.dataprep.chunking import ChunkOptions
    from ttsbench.dataprep.prepare import PrepareOptions, prepare
    from ttsbench.dataprep.splits import SplitOptions

    out = tmp_path_factory.mktemp("voice") / "voice"
    prepare(
        [str(target_voice)],
        PrepareOptions(
            out=out, progress=False, chunk=ChunkOptions(max_seconds=8), split=SplitOptions(eval_fraction=0.25)
        ),
    )
    return out


@pytest.fixture(scope="session")
def tiny_orpheus(tmp_path_factory) -> Path:
    """A tiny random Orpheus (Llama + SNAC) saved like a real checkpoint."""
    from ttsbench.models.families.orpheus import build_tiny_orpheus

    return build_tiny_orpheus(tmp_path_factory.mktemp("tiny") / "orpheus", seed=0)


@pytest.fixture(scope="session")
def tiny_csm(tmp_path_factory) -> Path:
    """A tiny random CSM saved like a real checkpoint (with its processor)."""
    from ttsbench.models.families.csm import build_tiny_csm

    return build_tiny_csm(tmp_path_factory.mktemp("tiny") / "csm", seed=0)


@pytest.fixture(scope="session")
def tiny_run(tiny_csm, voice_dataset, tmp_path_factory) -> Path:
    """A finished run of all four variants and both anchors on the tiny CSM, fine-tuned first."""
    import yaml

    from ttsbench.benchmark.runner import run_suite
    from ttsbench.benchmark.suite import load_suite

    folder = tmp_path_factory.mktemp("tinyrun")
    suite = folder / "tiny.yaml"
    suite.write_text(
        yaml.safe_dump(
            {
                "name": "tiny",
                "model": {"backend": "csm", "checkpoint": str(tiny_csm)},
                "dataset": str(voice_dataset),
                "finetune": {
                    "max_steps": 6,
                    "per_device_batch_size": 2,
                    "gradient_accumulation_steps": 1,
                    "learning_rate": 0.002,
                    "eval_steps": 3,
                },
                "prompts": ["Good evening, everyone.", "Is <script>alert(1)</script> & co safe?"],
                "seeds": 2,
                "variants": ["base", "cloned", "finetuned", "finetuned_cloned"],
                "anchors": ["ground_truth", "impostor"],
                "scorers": {"wer": {"asr": "tiny.en"}, "speaker_sim": {"encoder": "resemblyzer"}, "signal": {}},
                "generation": {"max_seconds": 3.0},
            }
        )
    )
    run_suite(load_suite(suite), folder / "run", progress=False)
    return folder / "run"
