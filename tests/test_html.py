"""The web edition (--format html): a self-contained folder of HTML5 pages, written atomically."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest

from helpers import SAMPLE, masthead

URL_IN_CSS = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("web")
    result = masthead("build", str(SAMPLE), "-o", str(out), "--format", "html")
    assert result.returncode == 0, result.stderr
    folder = out / SAMPLE.name
    assert f"{folder}/  " in result.stdout  # reported like the files, with its total size
    assert sorted(p.name for p in out.iterdir()) == [SAMPLE.name]  # no temporary sibling left
    return folder


def pages(folder: Path) -> dict[str, lxml.html.HtmlElement]:
    return {p.name: lxml.html.fromstring(p.read_bytes()) for p in sorted(folder.glob("*.html"))}


def article_pages() -> list[str]:
    from masthead.tools import check

    rendered = check.check(SAMPLE / "issue.yaml").rendered
    return [d.name.removesuffix(".xhtml") + ".html" for d in rendered.documents_of("article")]


def test_index_links_to_every_article(web):
    assert (web / "index.html").is_file()
    assert not (web / "cover.html").exists()  # the home page shows the cover
    expected = article_pages()
    assert len(expected) == 8
    for name in expected:
        assert (web / name).is_file(), name
    linked = {urlsplit(a.get("href")).path for a in pages(web)["index.html"].iter("a") if a.get("href")}
    assert set(expected) <= linked


def test_pages_are_html5_with_language_and_direction(web):
    for name, page in pages(web).items():
        raw = (web / name).read_text(encoding="utf-8")
        assert raw.startswith("<!DOCTYPE html>\n"), name
        assert "<?xml" not in raw and "xmlns" not in raw and "epub:type" not in raw, name
        assert ".xhtml" not in raw, name
        assert page.get("lang") and page.get("dir") in ("ltr", "rtl"), name
        assert page.find("head/meta[@charset='utf-8']") is not None, name
        assert page.find("head/meta[@name='viewport']") is not None, name
        # one script, the edition's own (js/web.js); the preview's reload script is the preview's only
        assert re.findall(r"<script[^>]*>", raw) == ['<script src="js/web.js">'], name
    arabic = pages(web)["madina-la-tanam.html"]
    assert arabic.get("dir") == "ltr" and arabic.get("lang") == "en-GB"  # the issue's
    assert (arabic.find(".//article").get("dir"), arabic.find(".//article").get("lang")) == ("rtl", "ar")
    assert pages(web)["night-shift.html"].get("dir") == "ltr"
    assert pages(web)["index.html"].find(".//*[@role='doc-toc']") is not None  # roles stay


def test_every_local_reference_resolves_and_nothing_is_fetched(web):
    files = {p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file()}
    ids = {name: {e.get("id") for e in page.iter() if e.get("id")} for name, page in pages(web).items()}
    checked = 0
    for name, page in pages(web).items():
        for element in page.iter():
            for attribute in ("href", "src"):
                url = element.get(attribute)
                if not url:
                    continue
                parts = urlsplit(url)
                if parts.scheme or parts.netloc:
                    assert element.tag == "a", f"{name}: <{element.tag} {attribute}={url}> loads from outside"
                    continue
                target = unquote(parts.path) or name
                assert target in files, f"{name}: {url} points at nothing"
                if parts.fragment and target.endswith(".html"):
                    assert parts.fragment in ids[target], f"{name}: {url}: no such id"
                checked += 1
    assert checked > 50
    for css in web.glob("css/*.css"):
        for url in URL_IN_CSS.findall(css.read_text(encoding="utf-8")):
            assert not re.match(r"[a-z]+:", url) or url.startswith("data:"), f"{css.name}: {url}"
            assert (css.parent / url).resolve().is_file(), f"{css.name}: {url} points at nothing"
    assert any(p.startswith("fonts/") for p in files) and any(p.startswith("images/") for p in files)


def test_a_failed_rebuild_keeps_the_earlier_folder(tmp_path, issue_dir):
    out = tmp_path / "out"
    assert masthead("build", str(issue_dir), "-o", str(out), "-f", "html").returncode == 0
    folder = out / issue_dir.name
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert Path("one.html") in before and Path("index.html") in before
    article = issue_dir / "articles" / "one.md"
    article.write_text(article.read_text().replace("title: First story", "title: First story\ndate: 2025-13-45"))
    result = masthead("build", str(issue_dir), "-o", str(out), "-f", "html")
    assert result.returncode == 1 and "one.md" in result.stderr
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.iterdir()] == [issue_dir.name]


def test_the_folder_is_swapped_whole_or_not_at_all(tmp_path):
    from masthead.runtime.writes import WEB_MARK, write_all

    target = tmp_path / "issue"
    write_all({}, {target: {"index.html": b"one", "css/a.css": b"a", "old.html": b"stale"}})
    write_all({}, {target: {"index.html": b"two", "css/a.css": b"b"}})
    files = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert files == {"index.html", "css/a.css", WEB_MARK}
    assert (target / "index.html").read_bytes() == b"two"
    with pytest.raises(ValueError):  # fails half-way through writing the new folder
        write_all({}, {target: {"index.html": b"three", "../outside.html": b"x"}})
    assert (target / "index.html").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["issue"]


# Runs in the page: the characters per line of the article's paragraphs of three lines or more
# (a paragraph's text length over its line boxes), and whether anything is wider than the window.
MEASURE_LINES = r"""
function extra() {
  const widths = [];
  for (const p of document.querySelectorAll('.article-body p')) {
    const range = document.createRange(); range.selectNodeContents(p);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    const chars = p.textContent.replace(/\s+/g, ' ').trim().length;
    if (tops.size >= 3) widths.push(chars / tops.size);
  }
  widths.sort((a, b) => a - b);
  return {median: widths[Math.floor(widths.length / 2)], paragraphs: widths.length,
          scroll: document.documentElement.scrollWidth, window: window.innerWidth};
}
"""


@pytest.mark.parametrize("width", [390, 1280, 1920])
def test_the_article_pages_keep_a_measure_a_reader_can_follow_at_every_width(web, width):
    """On a desktop the web edition's text ran the whole window (~130 characters a line at
    1280 px); its own stylesheet (web.css, the web edition's alone) keeps 45 to 80, measured in
    Chromium, and nothing wider than a phone's window."""
    from readerlook import look

    assert "css/web.css" in (web / "night-shift.html").read_text("utf-8")
    measured = look(web / "night-shift.html", width=width, height=900, script=MEASURE_LINES)["extra"]
    assert measured["paragraphs"] >= 5, measured
    low = 30 if width < 500 else 45  # a phone's column is narrower than a measure: it is the window's
    assert low <= measured["median"] <= 80, measured
    assert measured["scroll"] <= measured["window"], measured


def test_the_web_stylesheet_reaches_neither_the_epub_nor_the_pdf(tmp_path):
    import zipfile

    result = masthead("build", str(SAMPLE), "-o", str(tmp_path), "--format", "epub")
    assert result.returncode == 0, result.stderr
    names = zipfile.ZipFile(tmp_path / f"{SAMPLE.name}.epub").namelist()
    assert "EPUB/css/epub.css" in names and not [n for n in names if n.endswith("web.css")]


def test_articles_named_as_the_web_editions_own_pages_keep_theirs_and_an_article_id_main_is_the_articles(tmp_path):
    # index.html is the issue's home page and issue.html its page in an archive: an article
    # named so gets another name; the page's own <main> is "mh-main", so an article's
    # id="main" is the one its links reach.
    root = tmp_path / "issue"
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "index.md").write_text("---\ntitle: Index\n---\n\nSee [the note](#main).\n\n<p id=\"main\">Here.</p>\n",
                                                encoding="utf-8")
    (root / "articles" / "ISSUE.md").write_text("---\ntitle: Issue\n---\n\nText.\n", encoding="utf-8")
    (root / "issue.yaml").write_text("publication: Names\ndate: 2025-01-31\nlanguage: en\narticles:\n"
                                     "  - articles/index.md\n  - articles/ISSUE.md\n", encoding="utf-8")
    result = masthead("build", str(root), "-o", str(tmp_path / "out"), "--format", "html")
    assert result.returncode == 0, result.stderr
    web = pages(tmp_path / "out" / "issue")
    assert {"index.html", "index-2.html", "issue-2.html"} <= set(web) and "issue.html" not in web
    assert {"index-2.html", "issue-2.html"} <= set(web["index.html"].xpath("//a/@href"))  # the home page, linking both
    article = web["index-2.html"]
    assert len(article.xpath('//*[@id="main"]')) == 1 and article.xpath('//*[@id="main"]')[0].tag == "p"


def test_a_card_link_covers_its_card_only(tmp_path):
    # "The whole card is the link": scoped to the theme's cards, so an article's own
    # class="card-headline" link covers nothing (a clickjacking the attack found).
    import tinycss2

    css = (Path(__file__).resolve().parents[1] / "templates" / "default" / "css" / "web.css").read_text(encoding="utf-8")
    covering = [tinycss2.serialize(rule.prelude).strip() for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True)
                if rule.type == "qualified-rule" and "inset: 0" in tinycss2.serialize(rule.content)
                and "absolute" in tinycss2.serialize(rule.content)]
    assert covering and all(selector.startswith(".card ") for selector in covering)
