"""Arrows point down (docs/architecture.md): no package imports from a layer above it, and no two
modules import each other, directly or round a longer circle — function-level imports included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ttsbench"
BELOW_BENCH = {"core", "dataprep", "models"}
ALLOWED = {  # package → what of ours it may import (prefixes of dotted names under ttsbench.)
    "core": {"core"},
    "dataprep": {"core", "dataprep"},
    "models": {"core", "dataprep", "models"},
    "benchmark": BELOW_BENCH | {"benchmark"},
    "listening": BELOW_BENCH
    | {"benchmark.plan", "benchmark.records", "benchmark.store", "benchmark.stats", "listening"},
    "calibration": BELOW_BENCH | {"benchmark.scorers", "calibration"},
    "reports": {
        "core",
        "benchmark.plan",
        "benchmark.records",
        "benchmark.store",
        "benchmark.results",
        "listening.analysis",
        "reports",
    },
    "gates": {
        "core",
        "benchmark.plan",
        "benchmark.records",
        "benchmark.store",
        "benchmark.results",
        "benchmark.stats",
        "benchmark.scorers",
        "benchmark.suite",
        "benchmark.runner",
        "listening.analysis",
        "gates",
    },
    "perf": BELOW_BENCH | {"benchmark", "calibration", "reports", "perf"},
}
TOP = {"__init__", "api", "cli", "__main__"}  # ttsbench/*.py: the API and the command line, over everything


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module of ours `path` imports, at module level or inside a function, absolute or relative."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{a.name}" for a in node.names)  # `from . import svg` names a module
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    out = set()
    for name in found:
        while name and name not in modules:  # `ttsbench.benchmark.records.Metric` → ttsbench.benchmark.records
            name = name.rpartition(".")[0]
        if name.startswith("ttsbench.") or name == "ttsbench":
            out.add(name)
    return out


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_no_package_imports_from_a_layer_above_it():
    bad, unknown = [], []
    for path in sources():
        rel = path.relative_to(PACKAGE).parts
        if len(rel) == 1:
            assert path.stem in TOP, f"{path}: a module directly in ttsbench/ must be the API or the CLI"
            continue
        allowed = ALLOWED.get(rel[0])
        if allowed is None:
            unknown.append(rel[0])
            continue
        for module in imports(path):
            inner = module.removeprefix("ttsbench.")
            if module == "ttsbench" or not any(inner == a or inner.startswith(a + ".") for a in allowed):
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not unknown, f"packages with no place in the layers: {sorted(set(unknown))}; add them to ALLOWED"
    assert not bad, "\n".join(bad)


def circles(graph: dict[str, set[str]]) -> list[str]:
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(" → ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_import_circles():
    """A circle (a imports b, b imports a, perhaps inside a function) means neither module owns the fact
    between them; it also breaks as soon as one of those imports moves to module level. An edge to a
    package's own __init__ counts: `from . import Synth` in a module its __init__ imports is a circle."""
    graph = {module_name(p): imports(p) - {module_name(p)} for p in sources()}
    found = circles(graph)
    assert not found, "import circles:\n" + "\n".join(found)


def test_an_edge_to_the_own_package_init_closes_a_circle():
    """The circle `synth/__init__.synth_class` ↔ `synth/model.py` had: found, not skipped."""
    graph = {
        "ttsbench.benchmark.synth": {"ttsbench.benchmark.synth.model"},
        "ttsbench.benchmark.synth.model": {"ttsbench.benchmark.synth"},
    }
    assert circles(graph) == ["ttsbench.benchmark.synth → ttsbench.benchmark.synth.model → ttsbench.benchmark.synth"]


def test_the_layer_test_sees_function_level_and_relative_imports(tmp_path):
    """The checks above can fail: a relative import inside a function is found and resolved."""
    path = PACKAGE / "benchmark" / "records.py"
    found = imports(path)
    assert "ttsbench.core.records" in found or "ttsbench.dataprep.records" in found
    probe = ROOT / "ttsbench" / "benchmark" / "_probe_layers.py"
    probe.write_text("def f():\n    from ..reports import html\n    from . import store\n")
    try:
        assert {"ttsbench.reports.html", "ttsbench.benchmark.store"} <= imports(probe)
    finally:
        probe.unlink()
