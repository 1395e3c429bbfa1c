"""The PDF, read back with pypdf and poppler-utils: metadata, fonts, outline, contents, links."""

from __future__ import annotations

import re
import subprocess

import pypdf
import pytest

import pagefaults
from helpers import need, outline

A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def pdf(sample_build):
    return pypdf.PdfReader(sample_build["pdf"])


def page_text(path, number: int) -> str:
    need("pdftotext")
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_metadata_comes_from_the_issue(pdf):
    info = pdf.metadata
    assert info.title == "The Night Shift Issue"
    assert "Miriam Achterberg" in info.author
    assert info["/Keywords"].startswith("Work and labour")
    assert info["/CreationDate"] == "D:20251128000000Z" == info["/ModDate"]
    assert pdf.trailer["/Root"]["/Lang"] == "en-GB"


def test_pages_are_a4(pdf):
    assert len(pdf.pages) >= 12
    for page in pdf.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=0.1)


def test_every_font_is_embedded_and_from_the_theme(sample_build):
    need("pdffonts")
    lines = subprocess.run(["pdffonts", str(sample_build["pdf"])], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines
    for line in lines:
        name, emb = line.split()[0], line.split()[-5]
        assert emb == "yes", line
        assert "+Masthead-" in name, f"a font the theme does not ship: {line}"


def test_tagged_pdf(sample_build):
    need("pdfinfo")
    info = subprocess.run(["pdfinfo", str(sample_build["pdf"])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M)


def test_outline_is_sections_then_articles(pdf):
    entries = outline(pdf)
    top = [title for depth, title, _ in entries if depth == 1]
    assert top == ["Contents", "Briefing", "Features", "Culture"]
    features = entries.index(next(e for e in entries if e[1] == "Features"))
    assert [e[1] for e in entries[features + 1:features + 3]] == ["Between last orders and first light", "What the body knows at 3 a.m."]
    assert all(e[0] == 2 for e in entries[features + 1:features + 3])


def test_contents_page_numbers_point_at_article_starts(pdf, sample_build):
    contents = page_text(sample_build["pdf"], 2)
    starts = {title: page for depth, title, page in outline(pdf) if depth == 2}
    checked = 0
    for title in ("The week in the dark", "Between last orders and first light", "In praise of the small hours"):
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", contents, re.M)
        assert match, title
        page = int(match.group(1))
        assert page == starts[title]
        assert title in page_text(sample_build["pdf"], page)
        checked += 1
    assert checked == 3


def test_articles_start_on_new_pages_with_running_heads(pdf, sample_build):
    starts = [page for depth, title, page in outline(pdf) if depth == 2]
    assert len(set(starts)) == 8
    later = page_text(sample_build["pdf"], starts[0] + 1)
    assert "The Lantern" in later and "BRIEFING" in later  # running heads: publication, section
    assert re.search(rf"\b{starts[0] + 1}\b", later)  # the folio


def test_links_are_internal(pdf):
    internal = external = 0
    for page in pdf.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            if action is not None and action.get("/S") == "/URI":
                assert not str(action["/URI"]).startswith(("file:", "https://masthead.invalid"))
                external += 1
            else:
                internal += 1
    assert internal > 20  # contents, "More from", notes, links between articles


def test_no_attachments_and_no_javascript(pdf):
    root = pdf.trailer["/Root"]
    names = root.get("/Names") or {}
    assert "/EmbeddedFiles" not in names and "/JavaScript" not in names


def test_a_build_leaves_nothing_in_the_temporary_folder(tmp_path):
    """WeasyPrint copies the theme's fonts into a folder of its own under TMPDIR and removes it
    only when it is collected, which a process ending with os._exit never does: every build left
    one behind (1,470 were found on one machine). Built once with its own TMPDIR, nothing stays."""
    import os

    from helpers import SAMPLE, copy_sample, masthead

    issue = tmp_path / SAMPLE.name
    copy_sample(issue)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "MASTHEAD_CACHE_DIR": "off"}
    result = masthead("build", str(issue), "-o", str(tmp_path / "out"), "-f", "pdf", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / f"{SAMPLE.name}.pdf").stat().st_size > 10_000
    assert sorted(p.name for p in temporary.iterdir()) == []


def test_no_stranded_heading_and_no_lonely_ending_in_print(sample_build):
    need("mutool")
    heads, endings = pagefaults.marked_texts(sample_build["epub"])
    assert "A night-shift lexicon" in heads and endings == {"More from The Lantern"}
    assert pagefaults.faults(sample_build["pdf"], sample_build["epub"]) == []
