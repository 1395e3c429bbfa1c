"""Golden folders: tests/cases/<name>/in is an issue, golden/ the documents it renders to.

The render stage's output is compared byte for byte. When a change to the theme or the
pipeline is meant, regenerate with `MASTHEAD_UPDATE_GOLDEN=1 pytest tests/test_golden.py`
and review the diff in git like any other change.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from helpers import pipeline

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if (p / "in" / "issue.yaml").is_file())


def rendered_documents(issue_folder: Path) -> tuple[dict[str, bytes], list[str]]:
    run = pipeline(issue_folder, printed=True)
    out = run.render()
    warnings = [f"{d.position.path.name}:{d.position.line}:{d.position.col}: {d.message}" for d in run.report.warnings]
    return {d.name: d.content for d in out.documents}, warnings


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_renders_to_its_golden_documents(case: Path, tmp_path):
    issue_folder = tmp_path / case.name
    shutil.copytree(case / "in", issue_folder)
    documents, warnings = rendered_documents(issue_folder)
    documents["warnings.txt"] = ("\n".join(warnings) + "\n").encode()
    golden = case / "golden"
    if os.environ.get("MASTHEAD_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir()
        for name, data in documents.items():
            (golden / name).write_bytes(data)
    expected = {p.name: p.read_bytes() for p in golden.iterdir()}
    assert sorted(documents) == sorted(expected)
    for name, data in documents.items():
        if data != expected[name]:
            diff = "\n".join(difflib.unified_diff(expected[name].decode().splitlines(), data.decode().splitlines(),
                                                  f"golden/{name}", f"rendered/{name}", lineterm="", n=2))
            pytest.fail(f"{case.name}/{name} differs from its golden copy:\n{diff[:6000]}")
