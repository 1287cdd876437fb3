"""notebooks/scrub_review.ipynb runs top to bottom on run reports (nbclient), so it never rots."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from sanitizer.shipped import fixtures_dir

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "scrub_review.ipynb"
RUNS = fixtures_dir() / "runs"


def _execute(tmp_path: Path, runs_dir: Path | None = None) -> str:
    """Run the notebook (optionally with another RUNS_DIR) and return every output as one text."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    if runs_dir is not None:
        params = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        params.source = params.source.replace("RUNS_DIR = None", f"RUNS_DIR = {str(runs_dir)!r}", 1)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=180,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    return json.dumps([o.get("data", o.get("text", "")) for o in outputs])


def test_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, "the notebook has no code"
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert any("parameters" in c.metadata.get("tags", []) for c in code)


def test_notebook_fixture_runs_highlight_the_failure_and_the_drift(tmp_path: Path) -> None:
    text = _execute(tmp_path)

    assert "NOT verified" in text  # the latest fixture run failed
    assert "#fdeceb" in text  # failed rows and columns are highlighted
    assert "image/png" in text  # the trend plots were drawn
    assert "need a decision" in text
    assert "20261125T031509Z" in text  # the drift night is named
    assert "findings:        4" in text  # the sign-off block


@pytest.mark.slow
def test_notebook_other_runs_dir_is_read(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for run in sorted(RUNS.iterdir())[:2]:
        shutil.copytree(run, runs / run.name)

    text = _execute(tmp_path, runs)

    assert (
        "Verified; 2 columns passed through unreviewed" in text
    )  # kept columns nobody vouched for
    assert "NOT verified" not in text
    assert "**0** change(s)" in text


@pytest.mark.slow
def test_notebook_empty_runs_dir_stops_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    with pytest.raises(CellExecutionError, match="no readable scrub report"):
        _execute(tmp_path, tmp_path / "runs")
