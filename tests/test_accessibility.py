"""The EPUB, checked by Ace by DAISY: no accessibility violation, metadata that Ace recognizes.

Ace (npm @daisy/ace, pinned in tools/ace/package-lock.json) runs through tools/ace/run-ace.sh,
which installs it on first use and drives the system's Chromium. Without node, npm or
chromium these tests skip.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT, Epub, need, once

RUN_ACE = ROOT / "tools" / "ace" / "run-ace.sh"

# What EPUB Accessibility 1.1 asks every package to declare, and the conformance claim:
# Ace's "a11y-metadata" section must list each of them as present (and none as empty).
# a11y:certifiedBy and friends are only for certified publications, so not required here.
REQUIRED_METADATA = (
    "schema:accessMode",
    "schema:accessModeSufficient",
    "schema:accessibilityFeature",
    "schema:accessibilityHazard",
    "schema:accessibilitySummary",
    "dcterms:conformsTo",
)


class AceRun:
    def __init__(self, epub: Path, result: subprocess.CompletedProcess, report: dict):
        self.epub, self.result, self.report = epub, result, report

    def violations(self) -> list[str]:
        found = []
        for subject in self.report.get("assertions", []):
            where = subject.get("earl:testSubject", {}).get("url", "?")
            for assertion in subject.get("assertions", []):
                result = assertion.get("earl:result", {})
                if result.get("earl:outcome") != "fail":
                    continue
                test = assertion.get("earl:test", {})
                pointer = result.get("earl:pointer", {})
                selector = ", ".join(pointer.get("css") or pointer.get("cfi") or [])
                where_exactly = f"{where} {selector}" if selector else where
                found.append(f"{test.get('dct:title')} [{test.get('earl:impact')}] {where_exactly}: "
                             f"{result.get('dct:description') or test.get('dct:description')}")
        return found


@pytest.fixture(scope="session")
def ace_tools() -> None:
    """Skip, before anything is built, where Ace cannot run."""
    for tool in ("node", "npm", "chromium"):
        need(tool)


def ace(epub: Path, report_dir: Path) -> AceRun:
    result = subprocess.run(["bash", str(RUN_ACE), str(epub), str(report_dir)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode in (0, 1), f"Ace could not check {epub.name}:\n{result.stdout}\n{result.stderr}"
    return AceRun(epub, result, json.loads((report_dir / "report.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def ace_sample(ace_tools, sample_build, tmp_path_factory) -> AceRun:
    return once(tmp_path_factory, "ace-sample", lambda folder: ace(sample_build["epub"], folder))


@pytest.fixture(scope="session")
def ace_strand(ace_tools, strand_build, tmp_path_factory) -> AceRun:
    return once(tmp_path_factory, "ace-strand", lambda folder: ace(strand_build["epub"], folder))


@pytest.fixture(params=["sample", "strand"])
def ace_run(request) -> AceRun:
    return request.getfixturevalue(f"ace_{request.param}")


def test_ace_checked_every_document(ace_run):
    book = Epub(ace_run.epub)
    try:
        spine = set(book.spine())
    finally:
        book.zip.close()
    checked = {s.get("earl:testSubject", {}).get("url") for s in ace_run.report["assertions"]}
    assert spine and spine <= checked


def test_ace_finds_no_violation(ace_run):
    violations = ace_run.violations()
    assert violations == [], "\n" + "\n".join(violations)
    assert ace_run.report["earl:result"]["earl:outcome"] == "pass"
    assert ace_run.result.returncode == 0, ace_run.result.stdout


def test_ace_recognizes_the_accessibility_metadata(ace_run):
    metadata = ace_run.report["a11y-metadata"]
    not_present = [p for p in REQUIRED_METADATA if p not in metadata.get("present", [])]
    assert not_present == [], f"Ace's a11y-metadata: {metadata}"
    assert metadata.get("empty", []) == [], f"Ace's a11y-metadata: {metadata}"
