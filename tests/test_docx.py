"""Word articles (.docx, content/readers/docx.py): three Word files made here (tests/docx_fixtures.py:
house styles, notes of both kinds, lists, a table, pictures with alt text and captions) build into
an EPUB that EPUBCheck and Ace pass and a PDF with the notes at the foot of the page, with
every word of the source in the article; the house styles and the file's properties become
the articles' fields; and what a hostile or broken file holds is refused or left out with a
word, positioned in the file (its paragraph), nothing fetched, nothing written.
"""

from __future__ import annotations

import collections
import http.server
import re
import subprocess
import threading
from pathlib import Path

import docx_fixtures as fixtures
import pytest

from helpers import Epub, epubcheck, masthead, need
from masthead.diagnostics import IssueError, Position
from masthead.pipeline import BuildContext, build

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
STYLE_MAP = '{Kicker: kicker, Standfirst: standfirst, "Pull Quote": pullquote, Byline: byline}'
NOTES = {"harbour": 3, "ledger": 3, "letters": 2}  # footnotes and endnotes each file holds


def _issue(root: Path, entries: str) -> Path:
    (root / "issue.yaml").write_text(f"publication: The Island\ndate: 2025-01-31\nlanguage: en\narticles:\n{entries}",
                                     encoding="utf-8")
    return root / "issue.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("docx-issue")
    (root / "articles").mkdir()
    sources = {maker.__name__: maker(root / "articles") for maker in (fixtures.harbour, fixtures.ledger, fixtures.letters)}
    manifest = _issue(root, f"  - file: articles/harbour.docx\n    style_map: {STYLE_MAP}\n"
                            "  - articles/ledger.docx\n  - articles/letters.docx\n")
    out = tmp_path_factory.mktemp("docx-out")
    result = build(manifest, out, ("epub", "pdf"), BuildContext(jobs=1))
    return {"sources": sources, "result": result, "epub": out / f"{root.name}.epub", "pdf": out / f"{root.name}.pdf"}


def _article(epub: Epub, name: str):
    return epub.xml(f"{name}.xhtml").find(f".//{X}article")


def test_three_word_articles_build_into_an_epub_epubcheck_passes_without_a_warning(built):
    assert built["result"].warnings == []
    assert built["result"].articles == 3
    assert epubcheck(built["epub"]) == []


def test_ace_finds_no_violation_in_the_word_articles(built, tmp_path):
    for tool in ("node", "npm", "chromium"):
        need(tool)
    from test_accessibility import ace

    run = ace(built["epub"], tmp_path / "ace")
    assert run.violations() == []
    assert run.report["earl:result"]["earl:outcome"] == "pass"


def test_no_word_of_a_word_article_is_lost(built):
    epub = Epub(built["epub"])
    for name, source in built["sources"].items():
        words = collections.Counter(re.findall(r"\w+(?:[’'\-]\w+)*", " ".join(_article(epub, name).itertext())))
        wanted = collections.Counter(fixtures.source_words(source))
        assert sum(wanted.values()) > 40, name
        assert wanted - words == collections.Counter(), name  # every word of the text and the notes, as often


def test_house_styles_and_the_files_properties_become_the_articles_fields(built):
    epub = Epub(built["epub"])

    def head(name: str) -> dict[str, str]:
        header = _article(epub, name).find(f"{X}header")
        return {e.get("class").split()[0]: " ".join("".join(e.itertext()).split()) for e in header.iter() if e.get("class")}

    harbour = head("harbour")  # Kicker, Title, Standfirst, Byline paragraphs: out of the text, into the fields
    assert (harbour["kicker"], harbour["headline"], harbour["standfirst"], harbour["byline"]) == (
        "Harbours", "The tide tables of Port Ellen", "How a small island kept its ferries on time for a century.", "By Morag Bell")
    assert "Tide tables (draft)" not in "".join(epub.read("harbour.xhtml").decode())  # the title property gives way
    body = "".join(_article(epub, "harbour").find(f".//{X}div[@class='article-body']").itertext())
    assert "Harbours" not in body and "Morag Bell" not in body
    ledger = head("ledger")  # no title in the text: the file's properties give title, authors, date
    assert (ledger["headline"], ledger["byline"]) == ("The harbour accounts", "By Iain Munro and Ruth Gray")
    assert _article(epub, "ledger").find(f".//{X}time").get("datetime") == "2024-02-01"
    assert head("letters")["headline"] == "Letters to the editor"  # the first heading is the headline
    pullquote = _article(epub, "harbour").find(f".//{X}aside[@class='pullquote']")
    assert pullquote.get(EPUB_TYPE) == "pullquote" and "".join(pullquote.itertext()) == "The harbour kept three rules."


def test_notes_tables_and_pictures_keep_their_structure(built):
    epub = Epub(built["epub"])
    for name, count in NOTES.items():
        article = _article(epub, name)
        refs = [a for a in article.iter(f"{X}a") if a.get(EPUB_TYPE) == "noteref"]
        notes = {aside.get("id"): aside for aside in article.iter(f"{X}aside") if aside.get(EPUB_TYPE) == "footnote"}
        assert len(refs) == len(notes) == count, name
        for ref in refs:  # each reference pops up its note, and the note links back to it
            note = notes[ref.get("href").lstrip("#")]
            assert note.find(f".//{X}a[@role='doc-backlink']").get("href") == f"#{ref.get('id')}"
    lists = _article(epub, "letters").find(f".//{X}div[@class='article-body']/{X}ol")  # two levels, as Word numbers them
    assert [(li.text, [sub.text for sub in li.iterfind(f"{X}ol/{X}li")]) for li in lists.iterfind(f"{X}li")] == [
        ("Trim the wick", ["at dusk", "at midnight"]), ("Polish the lens", [])]
    table = _article(epub, "ledger").find(f".//{X}table")
    assert "".join(table.find(f"{X}caption").itertext()) == "Table 1: Receipts by quarter"
    assert [th.text for th in table.iter(f"{X}th")] == ["Quarter", "Ferries", "Moorings", "Total"]
    figures = [f for name in ("harbour", "letters") for f in _article(epub, name).iter(f"{X}figure")]
    assert [(f.find(f"{X}img").get("alt"), "".join(f.find(f"{X}figcaption").itertext()) if f.find(f"{X}figcaption") is not None
             else None) for f in figures] == [
        ("The harbour at low water, boats resting on the sand", "Figure 1: Port Ellen at low water, 1902."),
        ("The lighthouse lamp room, its brass polished", "The lamp room in 1950."),
        ("A keeper's logbook open at March 1950", None)]
    pictures = [i["href"] for i in epub.manifest().values() if i["href"].startswith("images/inline-")]
    assert len(pictures) == 3 and any(p.endswith(".jpg") for p in pictures)  # the JPEG stays a JPEG


def test_the_printed_word_articles_set_their_notes_at_the_foot_of_the_page(built):
    need("pdftotext")
    text = subprocess.run(["pdftotext", "-layout", str(built["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    page = next(p for p in pages if "The tide tables of Port Ellen" in p and "Afterwards" in p)
    foot = page[page.rindex("Afterwards"):]  # below the last text of the article: its notes
    for note in ("The press survives in the island museum.", "Low waters were added in 1921.", "The last one hangs in the pier office."):
        assert note in foot
    assert "Table 1: Receipts by quarter" in text and "Figure 1: Port Ellen at low water, 1902." in text


# ---------------------------------------------------------------------------- hostile and broken files


def _case(folder: Path, name: str) -> Path:
    base = fixtures.simple(folder, "base.docx").read_bytes()
    folder.joinpath("base.docx").unlink()
    document = fixtures.zipped(base, "word/document.xml").decode()
    made = {
        "macros.docm": base,
        "macros.docx": fixtures.rezip(base, {"word/vbaProject.bin": b"\0" * 64}),
        "encrypted.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        "text.docx": b"Some text saved with the wrong name.\n",
        "truncated.docx": base[: len(base) // 2],
        "bomb.docx": fixtures.rezip(base, {"customXml/item1.xml": b"<a>" + b" " * (33 * 1024 * 1024) + b"</a>"}),
        "entities.docx": fixtures.rezip(base, {"word/document.xml": document.replace(
            "<w:document", '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><w:document', 1)
            .replace("A plain paragraph.", "&b;&b;").encode()}),
        "malformed.docx": fixtures.rezip(base, {"word/document.xml": document.replace("</w:body>", "", 1).encode()}),
        "empty.docx": fixtures.rezip(base, {"word/document.xml": b""}),
        "nested.docx": fixtures.rezip(base, {"word/document.xml": document.replace(
            "<w:sectPr", "<w:tbl><w:tr><w:tc>" * 75 + "<w:p/>" + "</w:tc></w:tr></w:tbl>" * 75 + "<w:sectPr", 1).encode()}),
    }
    (folder / name).write_bytes(made[name])
    return folder / name


REFUSED = {
    "macros.docm": "a macro-enabled Word document (.docm) is refused: masthead runs no macros",
    "macros.docx": "a Word document with macros ('word/vbaProject.bin') is refused",
    "encrypted.docx": "an encrypted (password-protected) Word document, or one in the old .doc format",
    "text.docx": "not a Word document: a .docx file is a ZIP archive, and this is none",
    "truncated.docx": "a damaged Word document: its ZIP archive cannot be read",
    "bomb.docx": "its part 'customXml/item1.xml' unpacks to 34,603,015 bytes; masthead reads at most 32 MB for one",
    "entities.docx": "its part 'word/document.xml' declares a DTD, which Word never writes; refused",
    "malformed.docx": "a damaged Word document: its part 'word/document.xml' is not well-formed XML",
    "empty.docx": "a damaged Word document: its part 'word/document.xml' is not well-formed XML",
    "nested.docx": "tables, lists or text boxes nested too deep to read: flatten them in Word",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_or_broken_word_file_is_one_clean_error_naming_it_and_nothing_is_written(tmp_path, monkeypatch, name):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    (tmp_path / "issue" / "articles").mkdir(parents=True)
    source = _case(tmp_path / "issue" / "articles", name)
    manifest = _issue(tmp_path / "issue", f"  - file: articles/{name}\n    title: A title\n")
    with pytest.raises(IssueError) as failed:
        build(manifest, tmp_path / "out", ("epub",), BuildContext(jobs=1))
    [diagnostic] = failed.value.diagnostics
    assert diagnostic.position == Position(source)
    assert str(diagnostic).startswith(f"{source}: {REFUSED[name]}")
    assert "Traceback" not in str(diagnostic)
    assert not (tmp_path / "out").exists()


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - what the server heard, for the test to read

    def do_GET(self):
        type(self).requests.append(self.path)
        self.send_error(404)

    def log_message(self, *args):
        pass


def test_objects_charts_linked_and_broken_pictures_are_left_out_at_their_paragraph_and_nothing_is_fetched(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "issue" / "articles").mkdir(parents=True)
        source = fixtures.oddities(tmp_path / "issue" / "articles", f"http://127.0.0.1:{server.server_port}/linked.png")
        manifest = _issue(tmp_path / "issue", "  - articles/oddities.docx\n")
        result = build(manifest, tmp_path / "out", ("epub",), BuildContext(jobs=1))
    finally:
        server.shutdown()
        server.server_close()
    assert _Recorder.requests == []
    assert [str(w) for w in result.warnings] == [f"{source}: {w}" for w in (
        "paragraph 5 (“A spreadsheet:”): warning: an embedded object (Excel.Sheet.12) left out: masthead reads text and "
        "pictures; paste it as a picture to keep what it shows",
        "paragraph 6 (“A chart:”): warning: a chart left out: masthead reads text and pictures; "
        "paste it as a picture to keep what it shows",
        "paragraph 7: warning: a picture linked from outside the document left out: masthead fetches nothing; "
        "insert the picture into the document instead",
        "paragraph 8: warning: a picture linked from outside the document left out: masthead fetches nothing; "
        "insert the picture into the document instead",
        "paragraph 9: warning: a picture (image/png) left out: not an image masthead can read (OSError)",
        "paragraph 3: warning: image without alt text; describe it, or write alt=\"\" if it is decorative")]
    article = Epub(tmp_path / "out" / "issue.epub").xml("oddities.xhtml")
    assert [img.get("alt") for img in article.iter(f"{X}img")] == ["", ""]  # the embedded pictures Pillow reads: no alt, decorative
    text = " ".join("".join(article.itertext()).split())
    assert "Before the objects." in text and "After the objects." in text


def test_a_style_maps_unknown_role_is_an_error_at_its_place_in_issue_yaml(tmp_path):
    from masthead.content.readers import docx, registry
    from masthead.manifest import loader
    from masthead.model import schema

    assert set(docx.ROLE_PATHS) == set(schema.STYLE_ROLES)  # each role the manifest takes, the reader sets

    (tmp_path / "articles").mkdir()
    fixtures.simple(tmp_path / "articles")
    manifest = _issue(tmp_path, '  - file: articles/simple.docx\n    style_map: {Kicker: kickr, "Pull Quote": banner}\n')
    with pytest.raises(IssueError) as failed:
        loader.load(manifest, registry)
    roles = "title, kicker, standfirst, byline, summary, heading, subheading, paragraph, quote, pullquote, sidebar, verse, code, caption"
    assert [str(d) for d in failed.value.diagnostics] == [
        f"{manifest}:6:25: 'kickr' is no role for the style 'Kicker' — did you mean 'kicker'?",
        f"{manifest}:6:46: 'banner' is no role for the style 'Pull Quote' (one of {roles})"]


def test_an_unmapped_house_style_is_warned_of_with_the_role_its_name_suggests(tmp_path):
    (tmp_path / "articles").mkdir()
    fixtures.harbour(tmp_path / "articles")
    _issue(tmp_path, "  - articles/harbour.docx\n")
    result = masthead("check", str(tmp_path))
    assert result.returncode == 0, result.stderr
    said = result.stdout + result.stderr
    assert "paragraph 4 (“By Morag Bell”): warning: the paragraph style 'Byline'" in said
    for style, role in (("Byline", "byline"), ("Pull Quote", "pullquote"), ("Kicker", "kicker")):
        assert f"style_map ('{style}': {role})" in said
