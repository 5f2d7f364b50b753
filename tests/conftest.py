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


@pytest.fixture(scope="session")
def target_voice(tmp_path_factory) -> Path:
    """One minute of the hibari voice, with its text in target.wav.txt."""
    from dataprep.synthvoice import synth_voice

    return synth_voice(tmp_path_factory.mktemp("voices") / "target.wav", minutes=1.0, voice="hibari", seed=3)


@pytest.fixture(scope="session")
def voice_dataset(target_voice, tmp_path_factory) -> Path:
    """A prepared dataset of the target voice: short clips, so there are train, eval and reference rows."""
    from dataprep.chunking import ChunkOptions
    from dataprep.prepare import PrepareOptions, prepare

    out = tmp_path_factory.mktemp("voice") / "voice"
    prepare([str(target_voice)], PrepareOptions(out=out, progress=False, chunk=ChunkOptions(max_seconds=8)))
    return out
