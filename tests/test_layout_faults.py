"""Layout faults a reader sees on the printed page, read from the PDF's text positions (issue 26).

tests/pagefaults.py finds them: a heading or definition term left at the foot of a column with
its first lines in the next, and a "More from" block alone on a page. The samples and
strand-1891 are checked where they are built (test_pdf.py, test_rtl.py, test_corpus.py); here,
an issue made to provoke both, and the finder shown to find what it should.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint

import pagefaults
from helpers import build_folder, need

WORDS = "night harbour lamp baker ferry crane watch shift kettle radio window street quiet late early bread tide signal".split()


def _sentence(seed: int, length: int) -> str:
    return " ".join(WORDS[(seed * 7 + k) % len(WORDS)] for k in range(length)).capitalize() + "."


def _sweep_issue(root: Path) -> Path:
    """Articles that end a line further on each time, so that some term meets the foot of a
    column and some article ends wherever a page can end, its "More from" block after it."""
    (root / "articles").mkdir(parents=True)
    entries = []
    for k in range(4):  # a glossary after 76 + k one-line paragraphs straddles the first page's foot
        padding = "\n\n".join(f"Line {i} of the padding." for i in range(76 + k))
        glossary = "\n\n".join(f"Term {t}\n: {_sentence(t * 3, 9)} {_sentence(t * 3 + 1, 9)}" for t in range(12))
        (root / "articles" / f"terms-{k}.md").write_text(
            f"---\ntitle: Terms {k}\n---\n\n{padding}\n\n{glossary}\n\n## After the terms\n\n{_sentence(k, 40)}\n", encoding="utf-8")
        entries.append(f"terms-{k}")
    for n in range(8):  # from 22 to 29 paragraphs of five sentences: the last pages fill up
        body = "\n\n".join(" ".join(_sentence(p * 5 + j, 11) for j in range(5)) for p in range(22 + n))
        (root / "articles" / f"ending-{n}.md").write_text(f"---\ntitle: Ending {n}\n---\n\n{body}\n", encoding="utf-8")
        entries.append(f"ending-{n}")
    (root / "issue.yaml").write_text(
        "publication: The Sweep\ndate: 2025-01-31\nlanguage: en\nsections:\n  - title: All\n    articles:\n"
        + "".join(f"      - articles/{e}.md\n" for e in entries), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    need("mutool")
    root = _sweep_issue(tmp_path_factory.mktemp("sweep") / "sweep")
    return build_folder(root, tmp_path_factory.mktemp("sweep-out"))


def test_no_term_or_heading_is_left_at_the_foot_of_a_column(sweep):
    heads, _ = pagefaults.marked_texts(sweep["epub"])
    assert {"Term 0", "Term 11", "After the terms"} <= heads
    assert pagefaults.stranded_heads(pagefaults.lines(sweep["pdf"]), heads) == []


def test_no_more_from_block_is_alone_on_a_page(sweep):
    _, endings = pagefaults.marked_texts(sweep["epub"])
    pages = pagefaults.lines(sweep["pdf"])
    assert endings == {"More from The Sweep"}
    # The sweep reaches the case: some article's last page holds little more than its ending.
    ending_pages = [page for page in pages if any(line.text.lower() == "more from the sweep" for line in page)]
    assert len(ending_pages) == 12
    assert pagefaults.lonely_endings(pages, endings) == []


def test_the_finder_finds_a_stranded_heading_and_a_lonely_ending(tmp_path):
    need("mutool")
    html = (
        "<style>@page { size: A5; margin: 2cm } body { font-size: 10pt }</style>"
        "<p>The first page's text, which the heading below should have stayed with.</p>"
        "<h2>A stranded heading</h2><p style='break-before: page'>Its first line, a page too late.</p>"
        "<h2 style='break-before: page; font-size: 9pt'>More from The Test</h2><p>A card.</p>"
    )
    pdf = tmp_path / "faults.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    pages = pagefaults.lines(pdf)
    assert pagefaults.stranded_heads(pages, {"A stranded heading"}) == ["page 1: 'A stranded heading'"]
    assert pagefaults.lonely_endings(pages, {"More from The Test"}) == ["page 3: 'More from The Test'"]
    # And a heading with its text after it, in its column, is no fault.
    assert pagefaults.stranded_heads(pages, {"More from The Test"}) == []
