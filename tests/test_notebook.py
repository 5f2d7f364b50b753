"""notebooks/workshop.ipynb runs top to bottom on its embedded defaults (offline, CPU, the tiny random CSM),
through the Python API alone, and is kept in the repository without outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "workshop.ipynb"


def test_the_notebook_is_stored_without_outputs():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert any("parameters" in c["metadata"].get("tags", []) for c in code)


def test_the_workshop_notebook_runs_top_to_bottom_offline(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = {k: c.get("outputs", []) for k, c in enumerate(nb.cells) if c.cell_type == "code"}
    errors = [o for out in outputs.values() for o in out if o.output_type == "error"]
    assert not errors, errors
    html = "\n".join(o.get("data", {}).get("text/html", "") for out in outputs.values() for o in out)
    assert 'class="verdict"' in html and 'table class="answer"' in html  # the answer first, as in the report
    assert "tiny random model" in html  # every number from the random model says so
    assert html.count("<audio") >= 8  # the four variants side by side, and the reference clips
    text = "\n".join(str(o.get("data", {}).get("text/plain", "")) for out in outputs.values() for o in out)
    assert "speaker_sim" in text and "finetuned_cloned" in text
    assert (tmp_path / "runs" / "workshop" / "report.html").is_file()
    assert (tmp_path / "runs" / "workshop" / "sweep" / "curve.csv").is_file()
    images = sum(1 for out in outputs.values() for o in out if "image/svg+xml" in o.get("data", {}))
    assert images >= 2  # the loss and the learning curve, drawn inline (the report's own charts)
