"""pytest plugin: one test per gate per suite file, so `pytest suites/` gates a release.

    pytest suites/                          # each suite's latest run: its `out:` (else runs/<name>)
    pytest suites/demo.yaml --run-dir runs/demo/bench
    pytest suites/my-voice.yaml --run       # run the benchmark first (resumable, cached)

`suites/conftest.py` loads it; elsewhere pass `-p ttsbench.gates.plugin`. A suite whose run
directory does not exist is skipped with the command to make it — unless `--run` or `--run-dir`
was given, when that is a failure. A gate naming an unknown row or metric is a collection error
that names the suite file. Exit codes are pytest's.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("ttsbench gates")
    group.addoption("--run-dir", help="check the gates on this run directory (default: the suite's `out:`)")
    group.addoption("--run", action="store_true", help="run `ttsbench bench` on the suite before checking its gates")


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix in (".yaml", ".yml"):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


class SuiteFile(pytest.File):
    def collect(self):
        from ttsbench.benchmark.suite import load_suite
        from ttsbench.gates.gates import parse_gate

        suite = load_suite(self.path, check_paths=False)  # a SuiteError is a collection error naming the file
        for text in suite.gates:
            yield GateItem.from_parent(self, name=text, gate=parse_gate(text, suite), suite=suite)


class GateItem(pytest.Item):
    def __init__(self, *, gate, suite, **kwargs):
        super().__init__(**kwargs)
        self.gate, self.suite = gate, suite

    def _run_dir(self) -> Path:
        given = self.config.getoption("--run-dir")
        run_dir = Path(given) if given else self.suite.run_dir()
        if self.config.getoption("--run"):
            done = self.config.stash.setdefault(_RAN, set())
            if str(self.path) not in done:
                from ttsbench.benchmark.runner import run_suite

                run_suite(self.suite, run_dir, progress=False)
                done.add(str(self.path))
        elif not (run_dir / "run.json").is_file():
            message = (
                f"no run of {self.path.name} at {run_dir}; run `ttsbench bench {self.path} --out {run_dir}` "
                "or pass --run"
            )
            if given:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        return run_dir

    def runtest(self):
        from ttsbench.gates.gates import check

        run_dir = self._run_dir()
        outcome = check(self.gate, run_dir, self.suite)
        if not outcome.passed:
            raise GateFailed(f"{self.gate.text}\n{outcome.message}\nrun: {run_dir}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, GateFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}: {self.gate.text}"


class GateFailed(AssertionError):
    """A gate whose observed value misses its threshold."""


_RAN = pytest.StashKey[set]()
