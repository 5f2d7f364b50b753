"""Plug-ins by entry point: a package installed beside ttsbench adds a scorer, and `bench`, `check`, the
gates and the API see it; a broken plug-in is one line naming its package, and the built-ins go on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

PLUGIN = '''
import numpy as np

from ttsbench.benchmark.records import Metric
from ttsbench.benchmark.scorers import Scorer, Value


class PeakScorer(Scorer):
    """How loud a sample gets: its peak amplitude."""

    name = "peak"
    declares = (Metric("peak_level", better="", digits=3, compared=True, headline=True, label="Peak"),)

    def score(self, items):
        return [[Value("peak_level", float(np.abs(item.audio).max()) if len(item.audio) else None, {})]
                for item in items]


class NotAScorer:
    pass
'''

ENTRY_POINTS = """
[ttsbench.scorers]
peak = peakplugin:PeakScorer
wer = peakplugin:PeakScorer
notascorer = peakplugin:NotAScorer
missing = peakplugin.nowhere:Thing
"""


def install_plugin(site: Path) -> Path:
    """A package `peakplugin` with its distribution metadata, as pip would leave it in site-packages."""
    (site / "peakplugin").mkdir(parents=True)
    (site / "peakplugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "peakplugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: peakplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS.lstrip())
    return site


@pytest.fixture
def plugin_env(tmp_path):
    site = install_plugin(tmp_path / "site")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return env


def suite_file(tmp_path: Path, dataset: Path) -> Path:
    path = tmp_path / "plug.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "plug",
                "model": {"backend": "fake"},
                "dataset": str(dataset),
                "prompts": ["Hello there.", "Good."],
                "seeds": 1,
                "variants": ["base", "cloned"],
                "anchors": [],
                "scorers": {"peak": {}, "signal": {}},
                "gates": ["base.peak_level > 0.01"],
                "out": str(tmp_path / "run"),
            }
        )
    )
    return path


def test_a_plugin_scorer_benches_gates_and_checks_from_the_command_line(plugin_env, voice_dataset, tmp_path):
    suite = suite_file(tmp_path, voice_dataset)
    ttsbench = [sys.executable, "-m", "ttsbench.cli"]
    done = subprocess.run([*ttsbench, "bench", str(suite)], env=plugin_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # the clash is one line naming both registrants; the built-in wer stands
    clash = [line for line in done.stderr.splitlines() if "'wer' is registered twice" in line]
    assert len(clash) == 1 and "by ttsbench and by package peakplugin" in clash[0], done.stderr
    summary = (tmp_path / "run" / "summary.json").read_text()
    assert '"peak_level"' in summary
    # the API and the gates read it like a built-in scorer's
    script = textwrap.dedent(f"""
        import ttsbench as tb
        run = tb.open_run({str(tmp_path / "run")!r})
        table = run.summary().set_index(["variant", "metric"])["mean"]
        assert table[("base", "peak_level")] > 0.01, table
        gates = run.gates()
        print("gates", list(zip(gates["gate"], gates["passed"])))
    """)
    done = subprocess.run([sys.executable, "-c", script], env=plugin_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "('base.peak_level > 0.01', True)" in done.stdout.replace("np.True_", "True"), done.stdout
    # check names the plug-in and each broken entry, one line each, and still says the suite can run
    done = subprocess.run([*ttsbench, "check", str(suite)], env=plugin_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any("peak" in line and "scorer from package peakplugin" in line for line in lines), done.stdout
    assert any("'notascorer' from package peakplugin" in line and "is not a" in line for line in lines)
    assert any("'missing' from package peakplugin" in line and "ModuleNotFoundError" in line for line in lines)
    assert lines[-1].startswith("can run"), lines[-1]


def test_a_suite_naming_a_broken_plugin_stops_in_one_line(plugin_env, voice_dataset, tmp_path):
    suite = suite_file(tmp_path, voice_dataset)
    data = yaml.safe_load(suite.read_text())
    data["scorers"] = {"missing": {}, "signal": {}}
    suite.write_text(yaml.safe_dump(data))
    done = subprocess.run(
        [sys.executable, "-m", "ttsbench.cli", "bench", str(suite)],
        env=plugin_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "scorer 'missing' from package peakplugin: peakplugin.nowhere:Thing cannot be loaded" in done.stderr


def test_entry_points_are_read_in_process(voice_dataset, tmp_path, monkeypatch):
    """The registries read entry points on first use; the plug-in's scorer is then like a built-in one."""
    from ttsbench.benchmark.scorers import SCORERS, declared
    from ttsbench.core.registry import reset_discovery

    site = install_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    reset_discovery(SCORERS)
    try:
        assert "peak" in SCORERS and SCORERS.source("peak") == "package peakplugin"
        assert SCORERS.source("wer") == "ttsbench"  # the clash left the built-in in place …
        assert any("'wer' is registered twice" in p for p in SCORERS.problems)  # … and said so
        assert declared(["peak"])["peak_level"].label == "Peak"
    finally:
        monkeypatch.undo()
        reset_discovery(SCORERS)
    assert "peak" not in SCORERS
