"""Coverage-guided fuzzing of the article readers (atheris, libFuzzer): `make fuzz`.

Each input becomes one article (Markdown or HTML by its first byte) of a small issue, and goes
through the content and render stages. Positioned diagnostics are fine; any other exception is
a crash that libFuzzer reports with the input that caused it. Not part of `make test`: run it
for a minute after changing reading.py or sanitize.py, longer before a release.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from masthead.diagnostics import IssueError
    from masthead.pipeline import BuildContext, Pipeline
    from masthead.runtime.cache import Cache

ROOT = Path(tempfile.mkdtemp(prefix="masthead-fuzz-"))
(ROOT / "articles").mkdir()
(ROOT / "images").mkdir()
(ROOT / "issue.yaml").write_text(
    "publication: Fuzz\ndate: 2025-01-01\nlanguage: en\narticles: [articles/a.md, articles/b.html]\n", encoding="utf-8")
(ROOT / "articles" / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
(ROOT / "articles" / "b.html").write_text("<title>B</title><p>Text.</p>", encoding="utf-8")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kind, body = data[0] % 2, data[1:]
    target = ROOT / "articles" / ("a.md" if kind == 0 else "b.html")
    target.write_bytes(body)
    try:  # read and render, as a build does (no cache: every input is read)
        Pipeline(ROOT / "issue.yaml", BuildContext(cache=Cache(None)), printed=True).render()
    except IssueError:
        pass
    finally:
        (ROOT / "articles" / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
        (ROOT / "articles" / "b.html").write_text("<title>B</title><p>Text.</p>", encoding="utf-8")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
