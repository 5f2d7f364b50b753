"""The command line: instant help, no heavy imports."""

from __future__ import annotations

import subprocess
import sys


def test_help_imports_no_model_library():
    code = (
        "import sys; from ttsbench.cli import build_parser; build_parser().format_help(); "
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'whisper', 'faster_whisper', 'resemblyzer') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_subcommand_has_help():
    for cmd in ("prepare", "synth-voice", "bench", "calibrate", "perf"):
        proc = subprocess.run([sys.executable, "-m", "ttsbench.cli", cmd, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "usage: ttsbench " + cmd in proc.stdout
