"""Input readers plug in: a reader registered from here alone (no module of masthead touched)
makes its files articles of an issue; each reader decodes its own bytes, so a text format's
"not UTF-8" error stays positioned and a format that is not UTF-8 text is not refused as such.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest
from lxml import etree

from helpers import Epub, epubcheck
from masthead.content.readers import html, markdown, registry
from masthead.content.readers.base import ReaderResult
from masthead.diagnostics import IssueError, Position, Report
from masthead.manifest import loader
from masthead.pipeline import BuildContext, build

SRC = Path(__file__).resolve().parents[1] / "src" / "masthead"


class TextReader:
    """Plain text, in Windows-1252 as old files are: the first paragraph is the headline, each
    blank line begins a paragraph."""

    name = "plain text"
    suffixes = (".txt",)
    shown = (".txt",)

    def read(self, raw: bytes, path: Path, entry, meta, report: Report) -> ReaderResult:
        text = raw.decode("cp1252", errors="replace")
        body = etree.Element("div")
        paragraphs = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]
        if not paragraphs:
            report.error(Position(path, 1, 1), "no text")
            return ReaderResult({}, None, None, {})
        for n, words in enumerate(paragraphs):
            etree.SubElement(body, "h1" if n == 0 else "p").text = words
        return ReaderResult({}, None, body, {}, text)


def _issue(root: Path, article: str, data: bytes) -> Path:
    (root / "articles").mkdir(parents=True)
    (root / "articles" / article).write_bytes(data)
    (root / "issue.yaml").write_text(f"publication: Plain Weekly\ndate: 2025-01-31\nlanguage: en\n"
                                     f"articles:\n  - articles/{article}\n", encoding="utf-8")
    return root / "issue.yaml"


@pytest.fixture
def text_reader(monkeypatch, tmp_path):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    reader = registry.register(TextReader())
    try:
        yield reader
    finally:
        registry.unregister(reader)


def test_a_registered_reader_builds_its_articles_into_a_valid_epub(tmp_path, text_reader):
    text = b"A plain caf\xe9\n\nThe first paragraph,\nin two lines.\n\nThe second \x93quoted\x94 one.\n"
    manifest = _issue(tmp_path / "issue", "plain.txt", text)  # Windows-1252, not UTF-8: this reader's business
    result = build(manifest, tmp_path / "out", ("epub",), BuildContext(jobs=1))
    epub = Epub(tmp_path / "out" / "issue.epub")
    doc = epub.xml("plain.xhtml")
    paragraphs = ["".join(p.itertext()) for p in doc.iter("{http://www.w3.org/1999/xhtml}p")]
    assert "The first paragraph, in two lines." in paragraphs and "The second \u201cquoted\u201d one." in paragraphs
    assert "A plain café" in "".join(doc.itertext())  # the headline the theme sets, from the first paragraph
    assert "plain.xhtml" in epub.spine() and result.articles == 1
    assert epubcheck(tmp_path / "out" / "issue.epub") == []


def test_the_manifest_accepts_what_the_readers_read(tmp_path, monkeypatch):
    manifest = _issue(tmp_path / "issue", "plain.txt", b"Title\n\nText.\n")
    with pytest.raises(IssueError) as refused:
        loader.load(manifest, registry)
    assert [str(d) for d in refused.value.diagnostics] == [
        f"{manifest}:5:5: 'articles/plain.txt' is neither Markdown (.md), HTML (.html, .xhtml) nor Word (.docx)"]
    reader = registry.register(TextReader())
    try:
        assert [e.file.name for s in loader.load(manifest, registry).sections for e in s.entries] == ["plain.txt"]
        assert registry.reader_for(Path("a.TXT")) is reader and registry.reader_for(Path("a.md")) is markdown.READER
        assert registry.unsupported("x.doc") == ("'x.doc' is neither plain text (.txt), Markdown (.md), "
                                                 "HTML (.html, .xhtml) nor Word (.docx)")
    finally:
        registry.unregister(reader)
    with pytest.raises(IssueError):
        loader.load(manifest, registry)  # unregistered: refused again


@pytest.mark.parametrize("article", ["bad.md", "bad.html"])
def test_a_text_format_that_is_not_utf8_is_an_error_at_its_line(tmp_path, monkeypatch, article):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    data = b"---\ntitle: Bad\n---\n\nfine\ncaf\xe9\n" if article.endswith(".md") else b"<title>Bad</title>\n<p>fine</p>\n<p>caf\xe9</p>\n"
    manifest = _issue(tmp_path / "issue", article, data)
    with pytest.raises(IssueError) as failed:
        build(manifest, tmp_path / "out", ("epub",), BuildContext(jobs=1))
    byte = data.index(b"\xe9")
    line = data[:byte].count(b"\n") + 1
    assert [str(d) for d in failed.value.diagnostics] == [
        f"{manifest.parent / 'articles' / article}:{line}:1: not UTF-8 text (byte {byte}); save the file as UTF-8"]
    assert not (tmp_path / "out").exists()


def test_every_reader_gives_the_one_shape(tmp_path):
    class Entry:
        overrides: ClassVar[dict] = {}
        language = None  # an edition's language for the file (model.issue.ArticleEntry)

    class Meta:
        root = tmp_path
        language = "en"

    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
    (tmp_path / "b.html").write_text("<html lang='fr'><title>B</title><p>Texte.</p></html>", encoding="utf-8")
    md = markdown.READER.read((tmp_path / "a.md").read_bytes(), tmp_path / "a.md", Entry(), Meta(), Report())
    page = html.READER.read((tmp_path / "b.html").read_bytes(), tmp_path / "b.html", Entry(), Meta(), Report())
    assert type(md) is type(page) is ReaderResult
    assert (md.fields["title"], md.lang, md.body_start, md.source_lines) == ("A", "en", len("---\ntitle: A\n---\n"), False)
    assert (page.fields["title"], page.lang, page.body_start, page.source_lines) == ("B", "fr", 0, True)


def test_no_suffix_is_chosen_outside_the_readers():
    for module in ("content/reading.py", "manifest/loader.py"):
        source = (SRC / module).read_text(encoding="utf-8")
        assert not re.search(r"""["']\.(md|markdown|html?|xhtml)["']""", source), module


def test_a_registered_reader_is_part_of_the_article_cache_key():
    from masthead.content import incremental

    before = incremental._readers_key()
    reader = registry.register(TextReader())
    try:
        assert incremental._readers_key() != before  # a cached reading by other readers is not served
    finally:
        registry.unregister(reader)
    assert incremental._readers_key() == before
    assert {"content/readers/base", "content/readers/registry", "content/readers/markdown",
            "content/readers/html", "content/readers/docx"} <= set(incremental._CODE)
