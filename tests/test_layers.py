"""Arrows point down: no package imports from a layer above it (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"dataprep", "finetune", "bench", "reports", "suites", "ttsbench"}
ALLOWED = {  # package → what of ours it may import
    "dataprep": {"dataprep"},
    "finetune": {"dataprep", "finetune"},
    "bench": {"dataprep", "finetune", "bench"},
    "reports": {"dataprep", "reports", "bench.records", "bench.store"},
    "suites": {"dataprep", "suites", "bench.records", "bench.store", "bench.suite", "bench.runner"},
    "ttsbench": OURS,
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.split(".")[0] in OURS}


def test_no_package_imports_from_a_layer_above_it():
    bad = []
    for package, allowed in ALLOWED.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in imports(path):
                if not any(module == a or module.startswith(a + ".") for a in allowed):
                    bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not bad, "\n".join(bad)
