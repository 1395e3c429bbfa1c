"""`masthead import`: feeds, Ghost and WordPress exports, Word files into an issue folder.

Nothing here reaches the network: a local HTTP server on 127.0.0.1, in a thread, serves the
fixtures (a feed of 50 entries generated below, its images, slow, mistyped, huge and
redirected answers). One feed is imported and built (EPUB) once for the module; the other
tests import in process, which costs milliseconds.
"""

from __future__ import annotations

import datetime as dt
import http.server
import io
import json
import os
import re
import shutil
import threading
import time
import zipfile
from collections import Counter
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import docx_fixtures
import pytest
from lxml import etree

from helpers import NS, Epub, build_folder, epubcheck, masthead
from masthead.tools import importing
from masthead.tools.importing import Limits, Options, sources

WORDS = ("lamp harbour ledger quiet river signal paper morning winter council market garden bridge "
         "letter orchard engine station library weather answer").split()


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (48, 32)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def _words(n: int, seed: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3 + i // 5) % len(WORDS)] for i in range(n))


CATEGORIES = ("Science", "Books", "Town & Country")


def entry_body(i: int, base: str) -> str:
    """The HTML of entry i: paragraphs, a list, a quote, and (every third entry) an image."""
    parts = [f"<p>Dispatch {i}: {_words(40, i)} &amp; “quoted” café.</p>",
             f"<ul><li>{_words(5, i + 1)}</li><li>{_words(6, i + 2)}</li></ul>",
             f"<blockquote><p>{_words(12, i + 3)}</p></blockquote>",
             f"<p>{_words(30, i + 4)} <a href=\"/story/{i}\">more</a>.</p>",
             "<script>document.write('evil')</script><iframe src=\"https://evil.example/\"></iframe>"]
    if i % 3 == 0:
        parts.insert(2, f'<figure><img src="{base}/img/{i % 2}.png" alt="A flat colour picture, number {i % 2}"/>'
                        f"<figcaption>Picture {i}</figcaption></figure>")
    return "".join(parts)


def rss(n: int, base: str, start: dt.datetime = dt.datetime(2025, 11, 1, 9, 0, tzinfo=dt.UTC), name: str = "Entry") -> bytes:
    items = []
    for i in range(1, n + 1):
        when = start + dt.timedelta(days=i - 1)
        items.append(
            f"<item><title>{name} {i}: the {escape(WORDS[i % len(WORDS)])} report</title>"
            f"<link>{base}/story/{i}</link><guid isPermaLink=\"false\">urn:{name}:{i}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate><dc:creator>Writer {i % 4}</dc:creator>"
            f"<category>{escape(CATEGORIES[i % 3])}</category><category>tag{i % 5}</category>"
            f"<description>{escape(f'<p>Summary of entry {i}.</p>')}</description>"
            f"<content:encoded><![CDATA[{entry_body(i, base)}]]></content:encoded></item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>The Weekly Lamp</title><link>{base}/</link><description>News &amp; notes</description>"
            f"<language>en-GB</language>{''.join(items)}</channel></rss>").encode()


def atom(n: int) -> bytes:
    entries = "".join(
        f"<entry><id>tag:lamp.example,2025:{i}</id><title>Atom entry {i}</title>"
        f"<updated>2025-10-{i:02d}T08:00:00Z</updated><author><name>Atom Writer</name></author>"
        f'<category term="Notes"/><summary>Short {i}.</summary>'
        f'<content type="html">{escape(f"<p>Atom body {i}: {_words(25, i)}.</p>")}</content></entry>'
        for i in range(1, n + 1))
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            '<title>Atom Lamp</title><id>tag:lamp.example,2025:feed</id><updated>2025-10-09T08:00:00Z</updated>'
            f"{entries}</feed>").encode()


def ghost_export() -> bytes:
    posts = [{"id": f"p{i}", "uuid": f"uuid-{i}", "title": f"Ghost post {i}", "slug": f"ghost-{i}",
              "html": f"<p>Ghost body {i}: {_words(30, i)}.</p><h2>Part two</h2><p>{_words(20, i + 9)}</p>",
              "custom_excerpt": f"Excerpt {i}", "published_at": f"2025-09-0{i}T10:00:00.000Z",
              "status": "published" if i != 3 else "draft", "type": "post"} for i in range(1, 6)]
    posts.append({"id": "page", "uuid": "uuid-page", "title": "About", "html": "<p>A page</p>",
                  "status": "published", "type": "page"})
    data = {"posts": posts,
            "tags": [{"id": "t1", "name": "Essays"}, {"id": "t2", "name": "#internal"}, {"id": "t3", "name": "Verse"}],
            "posts_tags": [{"post_id": f"p{i}", "tag_id": "t1" if i % 2 else "t3", "sort_order": 0} for i in range(1, 6)]
            + [{"post_id": "p1", "tag_id": "t2", "sort_order": 1}],
            "users": [{"id": "u1", "name": "Gail Host"}, {"id": "u2", "name": "Ola Writer"}],
            "posts_authors": [{"post_id": f"p{i}", "author_id": "u1" if i % 2 else "u2", "sort_order": 0}
                              for i in range(1, 6)],
            "settings": [{"key": "title", "value": "Ghost Lamp"}, {"key": "locale", "value": "en"}]}
    return json.dumps({"db": [{"meta": {"version": "5.0.0"}, "data": data}]}).encode("utf-8")


def wxr() -> bytes:
    items = "".join(
        f"<item><title>WordPress post {i}</title><link>https://wp.example/?p={i}</link>"
        f'<guid isPermaLink="false">https://wp.example/?p={i}</guid><dc:creator>wpadmin</dc:creator>'
        f"<content:encoded><![CDATA[WordPress body {i}: {_words(20, i)}.\n\n{_words(15, i + 2)} <em>em</em>.\n"
        f"Line two.\n\n<!-- wp:list --><ul><li>item {i}</li></ul><!-- /wp:list -->]]></content:encoded>"
        f"<excerpt:encoded><![CDATA[Excerpt {i}]]></excerpt:encoded><wp:post_id>{i}</wp:post_id>"
        f"<wp:post_date>2025-08-0{i} 10:00:00</wp:post_date><wp:status>{'publish' if i != 2 else 'draft'}</wp:status>"
        f"<wp:post_type>{'post' if i != 4 else 'page'}</wp:post_type>"
        f'<category domain="category" nicename="c"><![CDATA[Field notes]]></category>'
        f'<category domain="post_tag" nicename="t"><![CDATA[tagged]]></category></item>'
        for i in range(1, 6))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>WP Lamp</title>'
            "<link>https://wp.example</link><language>en-US</language><wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:author><wp:author_login><![CDATA[wpadmin]]></wp:author_login>"
            "<wp:author_display_name><![CDATA[Wendy Press]]></wp:author_display_name></wp:author>"
            f"{items}</channel></rss>").encode()


# ---------------------------------------------------------------------------- the local server


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path.split("?")[0])  # type: ignore[attr-defined]
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        if route is None:
            self.send_error(404)
            return
        status, headers, body, delay = route
        if delay:
            time.sleep(delay)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers and body is not None and not headers.get("X-No-Length"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if callable(body):
                for chunk in body():
                    self.wfile.write(chunk)
            elif body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: what the caps are for
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    xml = {"Content-Type": "application/rss+xml; charset=utf-8"}

    def drip():
        for _ in range(40):
            yield b"<!-- drip -->"
            time.sleep(0.1)

    def endless():
        for _ in range(2000):
            yield b"<!-- padding -->" * 1024

    httpd.routes = {  # type: ignore[attr-defined]
        "/feed.xml": (200, xml, rss(50, base), 0),
        "/img/0.png": (200, {"Content-Type": "image/png"}, _png((200, 60, 40)), 0),
        "/img/1.png": (200, {"Content-Type": "image/png"}, _png((40, 90, 200)), 0),
        "/html-as-feed": (200, {"Content-Type": "text/html"}, b"<html><body>hi</body></html>", 0),
        "/slow.xml": (200, xml, rss(1, base), 3),
        "/huge.xml": (200, xml, b"x" * 300_000, 0),
        "/endless.xml": (200, {**xml, "X-No-Length": "1"}, endless, 0),
        "/drip.xml": (200, {**xml, "X-No-Length": "1"}, drip, 0),
        "/r1": (302, {"Location": "/r2"}, b"", 0),
        "/r2": (301, {"Location": f"{base}/feed.xml"}, b"", 0),
        "/loop": (302, {"Location": "/loop"}, b"", 0),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b"", 0),
        "/gone.xml": (404, {}, b"", 0),
        "/not-an-image.png": (200, {"Content-Type": "image/png"}, b"<html>no picture here</html>", 0),
        "/page-as-image.png": (200, {"Content-Type": "text/html"}, _png((1, 2, 3)), 0),
        "/one-image.xml": (200, xml, _feed_with_images(base, ["/not-an-image.png", "/page-as-image.png",
                                                              "/img/0.png", "/missing.png"]), 0),
    }
    httpd.hits = []  # type: ignore[attr-defined]
    httpd.base = base  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def _feed_with_images(base: str, paths: list[str]) -> bytes:
    images = "".join(f'<p>Picture {n}: <img src="{base}{p}" alt="picture {n}"/> after.</p>' for n, p in enumerate(paths))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Pictures</title><link>{base}/</link>'
            f"<item><title>Pictures</title><guid>urn:pictures</guid><description>{escape(images)}</description>"
            "</item></channel></rss>").encode()


# ---------------------------------------------------------------------------- the feed, imported and built once


OFFLINE = {"rss.xml": ("feed", lambda: rss(3, "https://lamp.example", name="File entry"), 3),
           "atom.xml": ("feed", lambda: atom(4), 4), "ghost.json": ("ghost", ghost_export, 4),
           "wxr.xml": ("wordpress", wxr, 3)}


@pytest.fixture(scope="module")
def imported(server, tmp_path_factory):
    """One folder, one build, one EPUBCheck and one Ace run for every source: an RSS file, an
    Atom file, a Ghost export and a WordPress export imported offline (in process), then the
    feed of 50 entries from the local server, by the command, into the same folder."""
    root = tmp_path_factory.mktemp("import")
    folder = root / "weekly"
    offline = {}
    for name, (kind, make, _count) in OFFLINE.items():
        (root / name).write_bytes(make())
        offline[name] = importing.run(kind, str(root / name), folder, Options(images=False, by_category=True))
    result = masthead("import", "feed", f"{server.base}/feed.xml", str(folder), "--sections-by-category")
    assert result.returncode == 0, result.stderr
    built = masthead("build", str(folder), "-o", str(root / "dist"), "--format", "epub")
    assert built.returncode == 0, built.stderr
    return {"folder": folder, "epub": root / "dist" / "weekly.epub", "result": result, "build": built,
            "root": root, "offline": offline}


def _epub_texts(path: Path) -> dict[str, str]:
    """Each spine document's body text, keyed by its first heading's text."""
    book = Epub(path)
    texts = {}
    try:
        for href in book.spine():
            tree = book.xml(href)
            body = tree.find(".//x:body", NS)
            heading = tree.find(".//x:h1", NS)
            title = " ".join("".join(heading.itertext()).split()) if heading is not None else href
            texts[title] = " ".join(body.itertext())
    finally:
        book.zip.close()
    return texts


def _lost(source_html: str, text: str) -> Counter:
    """The words of ``source_html``'s text that ``text`` lacks (with their counts)."""
    def words(value: str) -> Counter:
        return Counter(w.casefold() for w in re.findall(r"\w+", value))
    source = re.sub(r"<(script|iframe)\b.*?</\1>", "", source_html).replace("<", " <")
    return words(sources.html_text(source)) - words(text)


def test_a_feed_with_fifty_entries_imports_every_entry(imported):
    folder = imported["folder"]
    assert len(list((folder / "articles").glob("entry-*.html"))) == 50
    manifest = __import__("yaml").safe_load((folder / "issue.yaml").read_text("utf-8"))
    assert manifest["publication"] == "The Weekly Lamp" and manifest["language"] == "en-GB"
    assert manifest["date"] == dt.date(2025, 12, 20)  # the newest entry's
    # this run's entries first, by first category; then those of the imports before it
    titles = [s["title"] for s in manifest["sections"]]
    assert titles == ["Books", "Town & Country", "Science", "Field notes", "Essays", "Verse", "Notes"]
    assert sum(len(s["articles"]) for s in manifest["sections"]) == 50 + 3 + 4 + 4 + 3
    assert "50 entries imported" in imported["result"].stdout


def test_an_imported_article_carries_the_entry_s_fields_and_no_script(imported, server):
    state = json.loads((imported["folder"] / ".masthead-import.json").read_text("utf-8"))
    record = next(r for r in state["entries"] if r["key"] == "urn:Entry:3")
    html = (imported["folder"] / record["file"]).read_text("utf-8")
    for expected in (f'<title>Entry 3: the {WORDS[3]} report</title>', '<meta name="standfirst" content="Summary of entry 3."/>',
                     '<meta name="byline" content="Writer 3"/>', '<meta name="date" content="2025-11-03"/>',
                     '<meta name="kicker" content="Science"/>', f'href="{server.base}/story/3"'):
        assert expected in html
    assert "<script" not in html and "<iframe" not in html and "evil" not in html
    assert re.search(r'<img alt="A flat colour picture, number 1" src="\.\./images/[0-9a-f]{16}\.png"/>', html)


def test_the_images_of_the_feed_are_downloaded_once_each(imported, server):
    assert len(list((imported["folder"] / "images").iterdir())) == 2
    assert server.hits.count("/img/0.png") == 1 and server.hits.count("/img/1.png") == 1


def test_the_imported_feed_builds_an_epub_epubcheck_passes(imported):
    assert epubcheck(imported["epub"]) == []


def test_ace_finds_no_violation_in_the_imported_feed(imported, tmp_path):
    from test_accessibility import ace

    for tool in ("node", "npm", "chromium"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    run = ace(imported["epub"], tmp_path)
    assert run.violations() == []


def test_no_text_of_any_entry_is_lost_on_the_way_to_the_epub(imported, server):
    texts = _epub_texts(imported["epub"])
    for i in range(1, 51):
        title = f"Entry {i}: the {WORDS[i % len(WORDS)]} report"
        assert title in texts, sorted(texts)[:5]
        assert _lost(entry_body(i, server.base), texts[title]) == Counter(), title


# ---------------------------------------------------------------------------- the network, bounded


def _run(tmp_path: Path, url_or_file: str, kind: str = "feed", **options):
    limits = options.pop("limits", Limits(timeout=1.0))
    return importing.run(kind, url_or_file, tmp_path / "issue", Options(limits=limits, **options))


def test_a_feed_served_as_html_is_refused_naming_the_url(server, tmp_path):
    with pytest.raises(importing.FetchError, match=r"/html-as-feed: served as text/html, not a feed"):
        _run(tmp_path, f"{server.base}/html-as-feed")
    assert not (tmp_path / "issue").exists()


def test_a_slow_feed_times_out_with_the_url_named(server, tmp_path):
    start = time.monotonic()
    with pytest.raises(importing.FetchError, match=r"/slow\.xml: no answer within 0\.5 s"):
        _run(tmp_path, f"{server.base}/slow.xml", limits=Limits(timeout=0.5))
    assert time.monotonic() - start < 2.5


def test_a_feed_that_trickles_in_is_cut_off_at_the_deadline(server, tmp_path):
    start = time.monotonic()
    with pytest.raises(importing.FetchError, match=r"/drip\.xml: not all read within 0\.5 s"):
        _run(tmp_path, f"{server.base}/drip.xml", limits=Limits(timeout=1.0, deadline=0.5))
    assert time.monotonic() - start < 2


def test_importing_the_same_source_twice_gives_the_same_bytes(server, tmp_path):
    for name in ("one", "two"):
        importing.run("feed", f"{server.base}/one-image.xml", tmp_path / name, Options())
    files = {p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file()}
    assert files == {p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert all((tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes() for f in files)
    assert len(files) == 4  # issue.yaml, the state, one article, one image


def test_a_feed_over_the_size_cap_is_refused_whether_its_length_is_given_or_not(server, tmp_path):
    with pytest.raises(importing.FetchError, match=r"/huge\.xml: larger than 100,000 bytes"):
        _run(tmp_path, f"{server.base}/huge.xml", limits=Limits(max_file=100_000))
    with pytest.raises(importing.FetchError, match=r"/endless\.xml: larger than 100,000 bytes"):
        _run(tmp_path, f"{server.base}/endless.xml", limits=Limits(max_file=100_000))
    with pytest.raises(importing.FetchError, match=r"over 50,000 bytes \(--max-total-size\)"):
        _run(tmp_path, f"{server.base}/huge.xml", limits=Limits(max_total=50_000))


def test_redirects_are_followed_within_the_limit_and_checked_at_each_step(server, tmp_path):
    outcome = _run(tmp_path, f"{server.base}/r1", limit=2, images=False)
    assert outcome.entries == 2
    with pytest.raises(importing.FetchError, match=r"/r1: more than 1 redirects"):
        _run(tmp_path, f"{server.base}/r1", limits=Limits(max_redirects=1))
    with pytest.raises(importing.FetchError, match=r"/loop: more than 5 redirects"):
        _run(tmp_path, f"{server.base}/loop")
    with pytest.raises(importing.FetchError, match=r"/to-file: redirected to file:///etc/passwd: only http and https"):
        _run(tmp_path, f"{server.base}/to-file")


def test_a_missing_feed_is_an_error_and_the_command_exits_1_in_one_line(server, tmp_path):
    result = masthead("import", "feed", f"{server.base}/gone.xml", str(tmp_path / "issue"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"masthead: {server.base}/gone.xml: HTTP 404 Not Found"
    assert not (tmp_path / "issue").exists()


@pytest.mark.parametrize("source", ["file:///etc/passwd", "ftp://example.org/feed.xml", "data:text/xml,<rss/>"])
def test_a_feed_url_that_is_not_http_is_refused(source, tmp_path):
    with pytest.raises(importing.UsageError, match="only http and https feeds are fetched"):
        _run(tmp_path, source)


def test_an_image_that_is_not_an_image_is_left_out_with_a_warning(server, tmp_path):
    outcome = _run(tmp_path, f"{server.base}/one-image.xml")
    warnings = "\n".join(outcome.warnings)
    assert f"{server.base}/not-an-image.png: not an image masthead can read" in warnings
    assert f"{server.base}/page-as-image.png: served as text/html, not a image" in warnings
    assert f"{server.base}/missing.png: HTTP 404" in warnings
    html = next((tmp_path / "issue" / "articles").glob("*.html")).read_text("utf-8")
    assert html.count("<img ") == 1 and "Picture 0:  after." in html
    assert len(list((tmp_path / "issue" / "images").iterdir())) == 1


# ---------------------------------------------------------------------------- offline, from files


def _build(folder: Path, out: Path) -> Path:
    result = masthead("build", str(folder), "-o", str(out), "--format", "epub")
    assert result.returncode == 0, result.stderr
    return out / f"{folder.name}.epub"


def test_rss_atom_ghost_and_wordpress_files_import_and_build_with_no_text_lost(imported):
    texts = _epub_texts(imported["epub"])
    for name, (kind, make, count) in OFFLINE.items():
        assert imported["offline"][name].entries == count, name
        read = {"feed": sources.read_feed, "ghost": sources.read_ghost, "wordpress": sources.read_wordpress}[kind]
        source = read(make(), name, None) if kind == "feed" else read(make(), imported["root"] / name)
        assert len(source.entries) == count
        for entry in source.entries:
            assert entry.title in texts, (name, entry.title, sorted(texts))
            assert _lost(entry.body, texts[entry.title]) == Counter(), (name, entry.title)


def test_a_summary_that_repeats_the_body_s_opening_is_no_standfirst_and_a_long_one_is_cut():
    body = "<p>" + _words(80, 1) + "</p>"
    assert sources.standfirst_of(_words(55, 1) + " […]", body) == ""
    long = sources.standfirst_of(_words(100, 2), body)
    assert long.endswith(" …") and len(long.split()) == sources.STANDFIRST_WORDS - 9
    assert sources.standfirst_of("A line of its own.", body) == "A line of its own."


def test_a_ghost_export_gives_published_posts_with_their_tags_authors_and_excerpts(tmp_path):
    source = sources.read_ghost(ghost_export(), tmp_path / "ghost.json")
    assert [e.title for e in source.entries] == ["Ghost post 1", "Ghost post 2", "Ghost post 4", "Ghost post 5"]
    first = source.entries[0]
    assert (first.categories, first.byline, first.standfirst, first.date) == (["Essays"], ["Gail Host"], "Excerpt 1", "2025-09-01")
    assert source.publication == "Ghost Lamp"


def test_a_wordpress_export_gives_published_posts_with_paragraphs_and_display_names(tmp_path):
    source = sources.read_wordpress(wxr(), tmp_path / "wxr.xml")
    assert [e.title for e in source.entries] == ["WordPress post 1", "WordPress post 3", "WordPress post 5"]
    first = source.entries[0]
    assert (first.byline, first.categories, first.standfirst, first.date) == (["Wendy Press"], ["Field notes"], "Excerpt 1", "2025-08-01")
    assert first.body.startswith("<p>WordPress body 1:") and "<br/>\nLine two.</p>" in first.body
    assert "\n<!-- wp:list --><ul>" in first.body


def test_a_ghost_export_s_images_are_fetched_from_the_site_given(server, tmp_path):
    export = json.loads(ghost_export())
    export["db"][0]["data"]["posts"][0]["html"] += '<img src="__GHOST_URL__/img/0.png" alt="red"/>'
    (tmp_path / "ghost.json").write_text(json.dumps(export))
    without = _run(tmp_path / "a", str(tmp_path / "ghost.json"), kind="ghost")
    assert any("__GHOST_URL__/img/0.png: image left out" in w and "--site" in w for w in without.warnings)
    with_site = _run(tmp_path / "b", str(tmp_path / "ghost.json"), kind="ghost", site=server.base)
    assert with_site.warnings == [] and len(list((tmp_path / "b" / "issue" / "images").iterdir())) == 1


def test_a_feed_of_nested_entities_is_not_expanded(tmp_path):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    feed = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]><rss version="2.0"><channel>'
            "<title>T</title><item><title>X</title><guid>g</guid><description>&l9;</description></item>"
            "</channel></rss>").encode()
    start = time.monotonic()
    try:
        source = sources.read_feed(feed, "feed.xml", None)
    except importing.SourceError as exc:  # refused is as good as not expanded
        assert "feed.xml" in str(exc)
    else:
        assert all(len(e.body) < 10_000 for e in source.entries)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("data", [b"<html><body><p>A web page</p></body></html>", b"\x00\xff" * 100, b""])
def test_a_file_that_is_no_feed_is_an_error_naming_it(data, tmp_path):
    (tmp_path / "feed.xml").write_bytes(data)
    with pytest.raises(importing.SourceError, match=r"feed\.xml.*: not an RSS or Atom feed"):
        _run(tmp_path, str(tmp_path / "feed.xml"))
    assert not (tmp_path / "issue").exists()


def test_each_source_s_lead_picture_opens_its_article(server, tmp_path):
    from masthead.tools.importing import articles

    feed = (f'<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>M</title>'
            f'<item><title>Media</title><guid>m1</guid><media:content url="{server.base}/img/0.png" medium="image"/>'
            f"<description>Words.</description></item>"
            f'<item><title>Enclosed</title><guid>m2</guid><enclosure url="{server.base}/img/1.png" type="image/png" length="1"/>'
            f"<description>More words.</description></item></channel></rss>").encode()
    export = json.loads(ghost_export())
    export["db"][0]["data"]["posts"][0]["feature_image"] = "__GHOST_URL__/img/1.png"
    export["db"][0]["data"]["posts_meta"] = [{"post_id": "p1", "feature_image_alt": "A blue field",
                                              "feature_image_caption": "Photo: <em>Lamp</em>"}]
    thumbnail = (b"<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>99</wp:meta_value></wp:postmeta>"
                 b"</item><item><title>pic</title><wp:post_id>99</wp:post_id><wp:post_type>attachment</wp:post_type>"
                 b"<wp:attachment_url>" + server.base.encode() + b"/img/0.png</wp:attachment_url>"
                 b"<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key><wp:meta_value>A red field"
                 b"</wp:meta_value></wp:postmeta></item>")
    wordpress = wxr().replace(b"</item>", thumbnail, 1)
    (tmp_path / "ghost.json").write_text(json.dumps(export))
    (tmp_path / "wxr.xml").write_bytes(wordpress)
    read = [sources.read_feed(feed, "feed.xml", None).entries[:2],
            [importing.run("ghost", str(tmp_path / "ghost.json"), tmp_path / "g", Options(site=server.base)) and
             sources.read_ghost(json.dumps(export).encode(), tmp_path / "ghost.json").entries[0]],
            sources.read_wordpress(wordpress, tmp_path / "wxr.xml").entries[:1]]
    images = articles.Images(importing.Fetcher(Limits(timeout=1.0)), lambda w: pytest.fail(w))
    made = {}
    for entries in read:
        for entry in entries:
            entry.image = (entry.image or "").replace("__GHOST_URL__", server.base) or None
            made[entry.title] = articles.article_bytes(entry, images, lambda w: pytest.fail(w)).decode()
    assert re.search(r'<body>\n<figure><img src="\.\./images/\w+\.png"/></figure>', made["Media"])
    assert re.search(r'<body>\n<figure><img src="\.\./images/\w+\.png"/></figure>', made["Enclosed"])
    assert re.search(r'<figure><img src="\.\./images/\w+\.png" alt="A blue field"/><figcaption>Photo: <em>Lamp</em>'
                     r"</figcaption></figure>", made["Ghost post 1"])
    assert re.search(r'<figure><img src="\.\./images/\w+\.png" alt="A red field"/></figure>', made["WordPress post 1"])
    ghost_article = next((tmp_path / "g" / "articles").glob("ghost-post-1.html")).read_text("utf-8")
    assert 'alt="A blue field"' in ghost_article and "../images/" in ghost_article


def test_a_wordpress_export_s_entities_are_never_expanded_nor_read_from_files(tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c SYSTEM "file:///etc/passwd">]>' + wxr().split(b"?>", 1)[1].replace(b"Line two.", b"&b;&c;"))
    source = sources.read_wordpress(bomb, tmp_path / "wxr.xml")
    assert "aaaaaaaaaa" not in source.entries[0].body and "root:" not in source.entries[0].body


def test_a_feed_s_external_entity_reads_no_file(tmp_path):
    feed = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel>'
            b"<title>T</title><item><title>X</title><guid>g</guid><description>before &x; after</description></item>"
            b"</channel></rss>")
    source = sources.read_feed(feed, "feed.xml", None)
    assert "root:" not in source.entries[0].body and "before" in source.entries[0].body


@pytest.mark.parametrize(("data", "message"), [
    (b"{not json", r"ghost\.json:1:2: not JSON"),
    (b'{"db": []}', r"ghost\.json: not a Ghost export"),
    (b"[" * 100_000, r"ghost\.json: (nested too deep|.*not JSON)"),
])
def test_a_broken_ghost_export_is_an_error_naming_the_file(data, message, tmp_path):
    (tmp_path / "ghost.json").write_bytes(data)
    with pytest.raises(importing.SourceError, match=message):
        _run(tmp_path, str(tmp_path / "ghost.json"), kind="ghost")
    assert not (tmp_path / "issue").exists()


def test_a_malformed_wordpress_export_is_an_error_with_its_line(tmp_path):
    (tmp_path / "wxr.xml").write_bytes(b'<?xml version="1.0"?>\n<rss><channel>\n<item></chanel></rss>')
    with pytest.raises(importing.SourceError, match=r"wxr\.xml:3:\d+: not well-formed XML"):
        _run(tmp_path, str(tmp_path / "wxr.xml"), kind="wordpress")


def test_word_files_are_copied_and_listed_and_a_macro_file_is_refused(tmp_path):
    submissions = tmp_path / "in"
    submissions.mkdir()
    docx_fixtures.letters(submissions)  # a Word file the reader's checks pass, under two names
    for name in ("b-second.docx", "a-first.docx"):
        shutil.copyfile(submissions / "letters.docx", submissions / name)
    (submissions / "letters.docx").unlink()
    (submissions / "notes.txt").write_text("not a document")
    outcome = _run(tmp_path, str(submissions), kind="docx")
    manifest = (tmp_path / "issue" / "issue.yaml").read_text("utf-8")
    assert "articles:\n- articles/a-first.docx\n- articles/b-second.docx\n" in manifest
    assert (tmp_path / "issue" / "articles" / "a-first.docx").read_bytes() == (submissions / "a-first.docx").read_bytes()
    assert outcome.entries == 2
    (submissions / "macro.docm").write_bytes(b"PK")
    with pytest.raises(importing.SourceError, match="macro-enabled"):
        _run(tmp_path / "again", str(submissions), kind="docx")


# ---------------------------------------------------------------------------- choosing, and running again


def _feed_file(tmp_path: Path, n: int = 10) -> Path:
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(n, "https://lamp.example"))
    return path


def test_since_limit_and_tag_choose_entries(tmp_path):
    feed = str(_feed_file(tmp_path))

    def titles(**options) -> list[str]:
        folder = tmp_path / f"i{len(list(tmp_path.iterdir()))}"
        importing.run("feed", feed, folder, Options(images=False, **options))
        return sorted(re.search(r"<title>Entry (\d+)", p.read_text()).group(1)
                      for p in (folder / "articles").glob("*.html"))

    assert titles(since=dt.date(2025, 11, 8)) == ["10", "8", "9"]
    assert titles(limit=2) == ["1", "2"]
    assert titles(tag="science") == ["3", "6", "9"]
    assert titles(tag="TAG2", limit=1) == ["2"]


def test_choosing_no_entry_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(importing.UsageError, match=r"no entry to import \(10 in the source, none chosen"):
        importing.run("feed", str(_feed_file(tmp_path)), tmp_path / "issue", Options(tag="nothing"))
    assert not (tmp_path / "issue").exists()


def test_importing_again_changes_nothing_and_keeps_a_hand_edited_article(tmp_path):
    feed = _feed_file(tmp_path, 3)
    folder = tmp_path / "issue"
    importing.run("feed", str(feed), folder, Options(images=False))
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    again = importing.run("feed", str(feed), folder, Options(images=False))
    assert again.created == again.updated == again.kept == []
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    edited = sorted((folder / "articles").glob("*.html"))[0]
    edited.write_text(edited.read_text("utf-8").replace("Dispatch", "Edited dispatch"), encoding="utf-8")
    feed.write_bytes(rss(3, "https://lamp.example").replace(b"Dispatch", b"Changed dispatch"))
    third = importing.run("feed", str(feed), folder, Options(images=False))
    assert third.kept == [edited] and "Edited dispatch" in edited.read_text("utf-8")
    assert len(third.updated) == 2  # the two untouched articles follow the source


def test_new_entries_are_added_to_an_untouched_issue_yaml_and_printed_for_an_edited_one(tmp_path):
    feed = _feed_file(tmp_path, 4)
    folder = tmp_path / "issue"
    importing.run("feed", str(feed), folder, Options(images=False, limit=2))
    assert (folder / "issue.yaml").read_text("utf-8").count("- articles/") == 2
    importing.run("feed", str(feed), folder, Options(images=False, limit=3))
    assert (folder / "issue.yaml").read_text("utf-8").count("- articles/") == 3
    edited = (folder / "issue.yaml").read_text("utf-8").replace("publication: The Weekly Lamp", "publication: My Lamp")
    (folder / "issue.yaml").write_text(edited, encoding="utf-8")
    outcome = importing.run("feed", str(feed), folder, Options(images=False))
    assert (folder / "issue.yaml").read_text("utf-8") == edited
    assert outcome.issue_yaml == "kept" and outcome.by_hand == ["- articles/entry-4-the-river-report.html"]
    result = masthead("import", "feed", str(feed), str(folder), "--no-images")
    assert result.returncode == 0 and "kept" in result.stdout


def test_a_folder_that_import_did_not_make_is_refused(tmp_path):
    (tmp_path / "issue").mkdir()
    (tmp_path / "issue" / "notes.md").write_text("mine")
    with pytest.raises(importing.UsageError, match=r"not empty and holds no \.masthead-import\.json"):
        _run(tmp_path, str(_feed_file(tmp_path)))
    assert sorted(p.name for p in (tmp_path / "issue").iterdir()) == ["notes.md"]


def test_the_command_shows_its_limits_and_their_defaults():
    result = masthead("import", "--help")
    assert result.returncode == 0
    for text in ("--timeout", "default: 20;", "--max-file-size", "--max-total-size", "default: 200;",
                 "--max-redirects", "--since", "--limit", "--tag", "--sections-by-category"):
        assert text in result.stdout


def test_imported_html_is_parsed_as_the_build_parses_it():
    # The article an import writes is well-formed XHTML: the HTML reader reads it as XML.
    entry = sources.Entry(key="k", title='A "quoted" <title> & more', body="<p>x &lt; y</p>", standfirst="s & t",
                          categories=["A&B"])
    from masthead.tools.importing import articles

    data = articles.article_bytes(entry, articles.Images(None, lambda _: None), lambda _: None)
    root = etree.fromstring(data)
    assert root.findtext("{http://www.w3.org/1999/xhtml}head/{http://www.w3.org/1999/xhtml}title") == 'A "quoted" <title> & more'
    assert b'<meta name="kicker" content="A&amp;B"/>' in data


def test_word_files_with_house_styles_are_listed_with_the_style_map_their_names_suggest_and_build(tmp_path):
    submissions = tmp_path / "in"
    submissions.mkdir()
    docx_fixtures.harbour(submissions)  # Kicker, Standfirst, Byline and Pull Quote paragraphs
    docx_fixtures.letters(submissions)  # Word's own styles only
    _run(tmp_path, str(submissions), kind="docx")
    manifest = (tmp_path / "issue" / "issue.yaml").read_text("utf-8")
    assert ("- file: articles/harbour.docx\n  style_map:\n    Kicker: kicker\n    Standfirst: standfirst\n"
            "    Byline: byline\n    Pull Quote: pullquote\n- articles/letters.docx\n") in manifest
    built = build_folder(tmp_path / "issue", tmp_path / "out", "epub")
    assert epubcheck(built["epub"]) == []


def test_a_re_import_keeps_a_retouched_picture_and_writes_nothing_through_a_linked_folder(server, tmp_path):
    # What an outside attack found: a re-run overwrote a retouched picture, and wrote through
    # an images/ (or articles/) folder replaced by a link to elsewhere.
    export = json.loads(ghost_export())
    export["db"][0]["data"]["posts"][0]["html"] += '<img src="__GHOST_URL__/img/0.png" alt="red"/>'
    (tmp_path / "ghost.json").write_text(json.dumps(export))
    _run(tmp_path, str(tmp_path / "ghost.json"), kind="ghost", site=server.base)
    (picture,) = (tmp_path / "issue" / "images").iterdir()
    picture.write_bytes(picture.read_bytes() + b"retouched")
    _run(tmp_path, str(tmp_path / "ghost.json"), kind="ghost", site=server.base)
    assert picture.read_bytes().endswith(b"retouched")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(tmp_path / "issue" / "images")
    (tmp_path / "issue" / "images").symlink_to(elsewhere)
    with pytest.raises(importing.SourceError, match=r"images: a link or not a folder"):
        _run(tmp_path, str(tmp_path / "ghost.json"), kind="ghost", site=server.base)
    assert list(elsewhere.iterdir()) == []


def test_a_lone_surrogate_a_macro_inside_a_docx_and_a_name_that_is_not_utf8_are_clean_errors(tmp_path):
    (tmp_path / "sur.xml").write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                                       b"<item><title>F&#xD800;</title><guid>g</guid></item></channel></rss>")
    (tmp_path / "g.json").write_text('{"db": [{"data": {"posts": [{"title": "T\\udfff"}]}}]}')
    for kind, source in (("feed", "sur.xml"), ("ghost", "g.json")):
        with pytest.raises(importing.SourceError, match="no text"):
            _run(tmp_path / kind, str(tmp_path / source), kind=kind)
    words = tmp_path / "words"
    words.mkdir()
    with zipfile.ZipFile(words / "macro.docx", "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/vbaProject.bin", b"macro")
    with pytest.raises(importing.SourceError, match="macro"):
        _run(tmp_path / "docx", str(words), kind="docx")
    (words / "macro.docx").unlink()
    docx_fixtures.letters(words)
    (words / "letters.docx").rename(words / os.fsdecode(b"bad\xfename.docx"))
    with pytest.raises(importing.SourceError, match="not UTF-8"):
        _run(tmp_path / "docx2", str(words), kind="docx")
    assert not any((tmp_path / k / "issue").exists() for k in ("feed", "ghost", "docx", "docx2"))
