"""Coverage-guided fuzzing of the templates' sandbox (atheris, libFuzzer): `make fuzz`.

Each input is the source of an issue's own ``templates/cover.xhtml.j2`` (as a stranger's theme
would give it), rendered with the real issue values. A positioned diagnostic (IssueError) is
fine. A crash is any other exception, a file written outside the issue, or the secret beside
the issue reaching a document. Not part of `make test`: run it after changing sandbox.py or
templates.py.
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

BASE = Path(tempfile.mkdtemp(prefix="masthead-fuzz-templates-"))
SECRET = BASE / "secret.txt"
SECRET.write_text("fuzz-s3cr3t", encoding="utf-8")
ROOT = BASE / "issue"
(ROOT / "articles").mkdir(parents=True)
(ROOT / "templates").mkdir()
(ROOT / "issue.yaml").write_text(
    "publication: Fuzz\ndate: 2025-01-01\nlanguage: en\narticles: [articles/a.md]\n", encoding="utf-8")
(ROOT / "articles" / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
TEMPLATE = ROOT / "templates" / "cover.xhtml.j2"
SEEDS = ["{{ meta.root.joinpath('../secret.txt').read_text() }}", "{% for a in issue.articles %}{{ a.title }}{% endfor %}",
         "{{ ''.__class__ }}", "{{ 'x' * 99 }}", "{{ issue.articles|map(attribute='source')|join }}"]


def test_one_input(data: bytes) -> None:
    body = data.decode("utf-8", "replace")
    TEMPLATE.write_text('{% extends "base.xhtml.j2" %}{% block body %}' + body + "{% endblock %}", encoding="utf-8")
    before = sorted(p.name for p in BASE.iterdir())
    try:
        rendered = Pipeline(ROOT / "issue.yaml", BuildContext(cache=Cache(None)), ("epub",)).render()
    except IssueError:
        rendered = None
    if sorted(p.name for p in BASE.iterdir()) != before:
        raise RuntimeError(f"a template wrote beside the issue: {body!r}")
    for document in rendered.documents if rendered else ():
        if b"fuzz-s3cr3t" in document.content:
            raise RuntimeError(f"a template read the secret: {body!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
