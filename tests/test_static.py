"""Static checks run with the tests: ruff (lint and format), mypy on the public boundary, the API's
public functions typed and documented, and library messages through logging rather than printed."""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]' (make install does)")
    return str(found)


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "ttsbench", "tests", "suites"], ["ruff", "format", "--check", "ttsbench", "tests", "suites"]],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff_is_clean(command):
    done = subprocess.run([tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean_on_the_public_boundary():
    """core/, api.py, the plan and the registries (pyproject.toml's [tool.mypy] files)."""
    done = subprocess.run([tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_public_api_function_is_typed_and_says_its_args_and_returns():
    from ttsbench import api

    missing = []
    for name in api.__all__ if hasattr(api, "__all__") else dir(api):
        func = getattr(api, name)
        if name.startswith("_") or not inspect.isfunction(func) or func.__module__ != api.__name__:
            continue
        sig = inspect.signature(func)
        untyped = [p for p in sig.parameters.values() if p.annotation is inspect.Parameter.empty]
        doc = inspect.getdoc(func) or ""
        if untyped or sig.return_annotation is inspect.Signature.empty:
            missing.append(f"{name}: untyped {[p.name for p in untyped] or 'return'}")
        if "Args:" not in doc and sig.parameters or "Returns:" not in doc:
            missing.append(f"{name}: no Args/Returns section")
    assert not missing, "\n".join(missing)


def test_the_library_logs_and_does_not_print_to_stderr():
    """Only the command line decides what reaches the terminal (perf commands print their tables on stdout)."""
    found = []
    for path in sorted((ROOT / "ttsbench").rglob("*.py")):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print":
                for kw in node.keywords:
                    if kw.arg == "file" and "stderr" in ast.unparse(kw.value):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and ast.unparse(node) == "sys.stderr.write":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "print to stderr instead of logging:\n" + "\n".join(found)
