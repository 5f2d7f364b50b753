"""`pytest suites/`: every gate of every suite file here is a test (see suites/pytest_gates.py)."""

from suites.pytest_gates import pytest_addoption, pytest_collect_file  # noqa: F401
