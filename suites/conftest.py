"""`pytest suites/`: every gate of every suite file here is a test (see ttsbench/gates/plugin.py)."""

from ttsbench.gates.plugin import pytest_addoption, pytest_collect_file  # noqa: F401
