"""Hostile articles are neutralised while the build succeeds and the EPUB stays valid.

One issue holds every attack, grouped into a few articles (HTML, Markdown with raw HTML,
template syntax in front matter, XHTML with external entities); it is built once, as EPUB
and PDF, and every test reads the same outputs. A real HTTP server listens on 127.0.0.1
for the whole module and records each request: masthead must never reach it. A canary
file outside the issue (and /etc/hostname) must never reach an output.

Three more small issues keep their outcome from hiding what the first one shows:
``traps`` (markup an HTML parser may nest wrongly, so text after it could vanish),
``remote_images`` (images named by ``http:`` and ``file:`` URLs: never fetched, and the build
goes on without them) and ``issue_css`` (the issue's own CSS override naming remote files);
then one small issue per CSS escape (or ``image-set()``) that hides such a URL from a plain
reading of the text.
"""

from __future__ import annotations

import http.server
import re
import shutil
import struct
import subprocess
import sys
import threading
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree

from helpers import NS, ROOT, Epub, epubcheck, masthead

HOSTNAME_FILE = Path("/etc/hostname")
XHTML_NS = "http://www.w3.org/1999/xhtml"
TEXT_SUFFIXES = (".xhtml", ".html", ".opf", ".ncx", ".xml", ".css", ".txt")
# Inside an XHTML document's markup (text is escaped, so "<script" can only be a tag).
FORBIDDEN_MARKUP = [r"<script\b", r"<iframe\b", r"<object\b", r"<embed\b", r"<form\b", r"<base\b",
                    r"<meta\s[^>]*http-equiv", r"<frame\b", r"<applet\b", r"<input\b", r"<svg\b"]


# ---------------------------------------------------------------------------- the HTTP trap


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def _any(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        body = b"CANARY-FROM-THE-NETWORK"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = _any  # noqa: N815 - the names http.server calls

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


# ---------------------------------------------------------------------------- the attacks


def _png(width: int = 4, height: int = 4) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


SVG_WITH_SCRIPT = ("PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiPjxzY3Jp"
                   "cHQ+YWxlcnQoMik8L3NjcmlwdD48L3N2Zz4=")  # <svg onload=alert(1)><script>alert(2)</script></svg>


def html_attack(url: str, canary: Path) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<title>Hostile HTML</title>
<meta http-equiv="refresh" content="0;url={url}/head-refresh">
<base href="{url}/head-base/">
<link rel="attachment" href="/etc/hostname">
<link rel="attachment" href="{canary}">
<link rel="stylesheet" href="{url}/head.css">
<script src="{url}/head.js"></script>
<style>@import url({url}/head-import.css); body {{ background: url({url}/head-bg.png) }}</style>
</head>
<body onload="alert('onload')">
<h1>Hostile HTML</h1>
<p id="top">The top.</p>
<p onclick="alert('onclick')" onmouseover="alert(2)" ONFOCUS="alert(3)">Safe paragraph one.</p>
<script>document.write('SCRIPTED')</script>
<p><a href="javascript:alert(1)">js link</a> <a href="JaVaScRiPt:alert(1)">js mixed case</a>
<a href="  javascript:alert(1)">js spaces</a> <a href="jav&#x09;ascript:alert(1)">js tab</a>
<a href="&#106;avascript:alert(1)">js entity</a> <a href="vbscript:msgbox(1)">vb</a>
<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">data link</a></p>
<iframe src="{url}/iframe"></iframe>
<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>
<object data="{url}/object"><param name="src" value="{url}/param"></object>
<form action="{url}/form"><input name="q" value="x"><button formaction="{url}/button">Go</button></form>
<meta http-equiv="refresh" content="0;url={url}/refresh">
<base href="{url}/base/">
<link rel="attachment" href="/etc/hostname">
<p><a rel="attachment" href="../../../etc/hostname">x</a> <a rel="attachment" href="leak.txt">y</a>
<a href="file:///etc/hostname">file link</a> <a href="file://{canary}">canary link</a>
<a rel="attachment" href="canary-link.txt">canary symlink</a></p>
<svg xmlns="http://www.w3.org/2000/svg" onload="alert(3)"><script>SCRIPTED(4)</script>
<image href="{url}/svg-image.png"/><foreignObject><iframe src="{url}/svg-iframe"></iframe></foreignObject></svg>
<style>@import url({url}/x.css);</style>
<div style="background:url({url}/bg.png)">Styled div text.</div>
<p style="background-image:url('{url}/bg2.png')">Safe paragraph two.</p>
<p><img src="../images/ok.png" srcset="{url}/srcset.png 2x" alt="A grey square" onerror="alert(6)"
        longdesc="{url}/longdesc" style="content:url({url}/img-style.png)"></p>
<p><img src="data:image/svg+xml;base64,{SVG_WITH_SCRIPT}" alt="An SVG with a script"></p>
<video src="{url}/video" poster="{url}/poster.png"><track src="{url}/track.vtt"></video>
<audio src="{url}/audio"></audio>
<math><maction actiontype="statusline" href="javascript:alert(5)">m</maction></math>
<p><a href="#top" onclick="alert(7)">same-page link</a></p>
<p>Safe paragraph three.</p>
</body>
</html>
"""


def markdown_attack(url: str, canary: Path) -> str:
    return f"""---
title: Hostile Markdown
---

Safe Markdown paragraph.

<script>SCRIPTED('md')</script>

<p onclick="alert(1)">Clickable Markdown text.</p>

A [file link](file:///etc/passwd), a [js link](javascript:alert(1)), a [hostname](file:///etc/hostname),
a [canary](file://{canary}), an [escape](../../../etc/hostname) and a [leak](leak.txt).

<iframe src="{url}/md-iframe"></iframe>

<object data="{url}/md-object"></object>

<form action="{url}/md-form"><input name="q"></form>

<meta http-equiv="refresh" content="0;url={url}/md-refresh">

<base href="{url}/md-base/">

<link rel="attachment" href="/etc/hostname">

<a rel="attachment" href="../../../etc/hostname">x</a>

<svg><script>SCRIPTED(1)</script></svg>

<style>@import url({url}/md.css)</style>

<div style="background:url({url}/md-bg.png)">Styled Markdown div.</div>

Inline <span onmouseover="alert(1)">hover</span> text and <a href="javascript:alert(2)">inline js</a>.

A [reference link][r] and an autolink <javascript:alert(3)>.

[r]: javascript:alert(1)

Safe Markdown ending.
"""


TEMPLATE_ATTACK = """---
title: "{{ 7*7 }}"
kicker: "{% raw %}"
standfirst: "{{ config }} {% endraw %} <script>steal()</script>"
byline: "{{ self.__init__.__globals__ }}"
summary: "{{ 7*7 }}"
tags: ["{{ 7*7 }}"]
---

Body text: {{ 7*7 }} and {% raw %} and {# a comment #}.

And ${7*7}.

And #{7*7}.

And <%= 7*7 %>.
"""


def entity_attack(url: str, canary: Path) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html [
  <!ENTITY x SYSTEM "file:///etc/hostname">
  <!ENTITY c SYSTEM "file://{canary}">
  <!ENTITY remote SYSTEM "{url}/entity">
]>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:xi="http://www.w3.org/2001/XInclude">
<head><title>Entity article</title></head>
<body>
<p>Before &x; middle &c; after &remote; end of entities.</p>
<xi:include href="file:///etc/hostname" parse="text"/>
<xi:include href="{canary}" parse="text"/>
<script>SCRIPTED(1)</script>
<p onclick="alert(1)">Clickable XHTML text.</p>
<p><a href="javascript:alert(1)">xhtml js link</a></p>
<svg xmlns="http://www.w3.org/2000/svg"><script>SCRIPTED(2)</script></svg>
<iframe src="{url}/xhtml-iframe"/>
<p>Safe XHTML ending.</p>
</body>
</html>
"""


def html_traps(url: str) -> str:
    """Elements HTML5 says are void, which an older HTML parser may leave open around what follows."""
    return f"""<html><head><title>Parser traps</title></head><body>
<p>Long<wbr>word, and the text after the wbr.</p>
<p>Between the traps, <a href="#nowhere">a link to no element</a>.</p>
<video controls="controls"><source src="{url}/trap.mp4"><track src="{url}/trap.vtt"></video>
<p>After the video.</p>
<embed src="{url}/embed">
<p>After the embed.</p>
</body></html>
"""


def markdown_traps(url: str) -> str:
    return f"""---
title: Markdown traps
---

Before the Markdown embed.

<embed src="{url}/md-embed">

After the Markdown embed.
"""


ARTICLES = ["articles/html-attack.html", "articles/md-attack.md", "articles/template-attack.md",
            "articles/entity-attack.xhtml"]
TRAPS = ["articles/html-traps.html", "articles/md-traps.md"]
SAFE_TEXT = {  # what must survive of each article: the neutralising keeps the writing
    "html-attack.xhtml": ["Safe paragraph one.", "Safe paragraph two.", "Safe paragraph three.",
                          "Styled div text.", "js link", "same-page link"],
    "md-attack.xhtml": ["Safe Markdown paragraph.", "Clickable Markdown text.", "Styled Markdown div.",
                        "hover", "Safe Markdown ending."],
    "template-attack.xhtml": ["Body text:"],
    "html-traps.xhtml": ["the text after the wbr.", "Between the traps", "After the video.", "After the embed."],
    "md-traps.xhtml": ["Before the Markdown embed.", "After the Markdown embed."],
    "entity-attack.xhtml": ["Before", "end of entities.", "Clickable XHTML text.", "Safe XHTML ending."],
}


def _write_issue(root: Path, yaml: str, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "issue.yaml").write_text(yaml, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def secrets(tmp_path_factory) -> dict[str, object]:
    """The canary file outside every issue, and what must never appear in an output."""
    folder = tmp_path_factory.mktemp("outside")
    canary = folder / "canary.txt"
    token = f"CANARY-{uuid.uuid4().hex}"
    canary.write_text(token + "\n", encoding="utf-8")
    hostname = HOSTNAME_FILE.read_text(encoding="utf-8", errors="replace").strip() if HOSTNAME_FILE.is_file() else ""
    return {"canary": canary, "token": token, "hostname": hostname}


def _build(issue: Path, out: Path) -> dict:
    result = masthead("build", str(issue), "-o", str(out), "--format", "epub,pdf")
    return {"result": result, "epub": out / f"{issue.name}.epub", "pdf": out / f"{issue.name}.pdf", "issue": issue}


@pytest.fixture(scope="module")
def hostile(server, secrets, tmp_path_factory) -> dict:
    """The issue holding every attack, built once as EPUB and PDF."""
    url = f"http://127.0.0.1:{server.server_address[1]}"
    canary = secrets["canary"]
    root = tmp_path_factory.mktemp("hostile") / "hostile"
    _write_issue(root, (
        "publication: Hostile Weekly\n"
        "date: 2025-03-01\n"
        "language: en\n"
        "description: \"{{ 7*7 }} {% raw %}\"\n"
        "sections:\n"
        "  - title: Attacks\n"
        "    articles:\n" + "".join(f"      - {name}\n" for name in ARTICLES)
    ), {
        "articles/html-attack.html": html_attack(url, canary),
        "articles/md-attack.md": markdown_attack(url, canary),
        "articles/template-attack.md": TEMPLATE_ATTACK,
        "articles/entity-attack.xhtml": entity_attack(url, canary),
        "images/ok.png": _png(),
    })
    # A symlink inside the issue that points outside it: links to it must go, unread.
    (root / "articles" / "leak.txt").symlink_to(HOSTNAME_FILE if HOSTNAME_FILE.exists() else canary)
    (root / "articles" / "canary-link.txt").symlink_to(canary)
    return _build(root, tmp_path_factory.mktemp("hostile-out"))


@pytest.fixture(scope="module")
def traps(server, tmp_path_factory) -> dict:
    """Articles whose markup an HTML parser may nest wrongly: nothing after them may be lost."""
    url = f"http://127.0.0.1:{server.server_address[1]}"
    root = tmp_path_factory.mktemp("traps") / "traps"
    _write_issue(root, (
        "publication: Trap Weekly\n"
        "date: 2025-03-01\n"
        "language: en\n"
        "articles:\n" + "".join(f"  - {name}\n" for name in TRAPS)
    ), {"articles/html-traps.html": html_traps(url), "articles/md-traps.md": markdown_traps(url)})
    return _build(root, tmp_path_factory.mktemp("traps-out"))


@pytest.fixture(scope="module")
def remote_images(server, secrets, tmp_path_factory) -> dict:
    """Images named by URL (``http:`` and ``file:``): never fetched, and the build goes on."""
    url = f"http://127.0.0.1:{server.server_address[1]}"
    root = tmp_path_factory.mktemp("remote") / "remote-images"
    _write_issue(root, (
        "publication: Remote Weekly\n"
        "date: 2025-03-01\n"
        "language: en\n"
        "articles:\n"
        "  - articles/images.html\n"
        "  - articles/images.md\n"
    ), {
        "articles/images.html": (
            "<html><head><title>Remote images</title></head><body>\n"
            "<p>Before the pictures.</p>\n"
            '<p><img src="file:///etc/hostname" alt="hostname"></p>\n'
            f'<p><img src="{url}/pixel.png" alt="pixel"></p>\n'
            f'<p><img src="file://{secrets["canary"]}" alt="canary"></p>\n'
            "<p>After the pictures.</p>\n</body></html>\n"),
        "articles/images.md": (
            "---\ntitle: Remote Markdown image\n---\n\n"
            f"Before.\n\n![x]({url}/a.png)\n\nAfter.\n"),
    })
    return _build(root, tmp_path_factory.mktemp("remote-out"))


# ---------------------------------------------------------------------------- reading outputs


def _built(build: dict) -> dict:
    result = build["result"]
    assert result.returncode == 0, f"build failed (exit {result.returncode}):\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    return build


def _members(epub: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(epub) as z:
        return {name: z.read(name) for name in z.namelist()}


def _xhtml_members(epub: Path) -> dict[str, bytes]:
    return {n: d for n, d in _members(epub).items() if n.endswith((".xhtml", ".html", ".htm"))}


def _leaks(secret: str, text: str) -> bool:
    """Whether ``secret`` appears in ``text``; a short secret ("vm") only as a whole word."""
    if not secret:
        return False
    if len(secret) >= 8:
        return secret in text
    return re.search(rf"(?<![\w.\-]){re.escape(secret)}(?![\w.\-])", text) is not None


def _pdftotext(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (poppler-utils)")
    return subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=120).stdout


def _check_markup(name: str, data: bytes) -> list[str]:
    """Every dangerous thing left in one XHTML document."""
    problems = []
    raw = data.decode("utf-8")
    for pattern in FORBIDDEN_MARKUP:
        for match in re.finditer(pattern, raw, re.I):
            problems.append(f"{name}: markup {match.group(0)!r} at {match.start()}")
    for match in re.finditer(r"<[^>]*\son\w+\s*=", raw, re.I):
        problems.append(f"{name}: event handler in {match.group(0)[:80]!r}")
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._Entity):
                problems.append(f"{name}: entity reference {element}")
            continue
        local = etree.QName(element).localname.lower()
        namespace = etree.QName(element).namespace
        if namespace not in (None, XHTML_NS):
            problems.append(f"{name}: foreign element {element.tag}")
        for key, value in element.attrib.items():
            attr = etree.QName(key).localname.lower()
            squeezed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
            if attr.startswith("on"):
                problems.append(f"{name}: <{local} {attr}=…>")
            if attr in ("style", "srcset", "formaction", "action", "poster", "srcdoc", "longdesc"):
                problems.append(f"{name}: <{local} {attr}={value[:60]!r}>")
            if attr == "rel" and "attachment" in value.lower():
                problems.append(f"{name}: <{local} rel={value!r}>")
            if squeezed.startswith(("javascript:", "vbscript:", "data:text", "file:")):
                problems.append(f"{name}: <{local} {attr}={value[:60]!r}>")
            if attr in ("src", "href", "data") and local != "a" and re.match(r"^[a-z][a-z0-9+.\-]*:|^//", squeezed):
                problems.append(f"{name}: remote resource <{local} {attr}={value[:60]!r}>")
        if local in ("style", "link") and element.getparent() is not None and etree.QName(element.getparent()).localname != "head":
            problems.append(f"{name}: <{local}> in the body")
    return problems


# ---------------------------------------------------------------------------- the hostile issue


def test_hostile_issue_builds(hostile):
    _built(hostile)
    assert hostile["epub"].is_file() and hostile["pdf"].is_file()


@pytest.mark.parametrize("issue", ["hostile", "traps"])
def test_epub_passes_epubcheck(request, issue):
    messages = epubcheck(_built(request.getfixturevalue(issue))["epub"])
    assert [(m["ID"], m["message"], [(loc["path"], loc.get("line")) for loc in m["locations"]]) for m in messages] == []


@pytest.mark.parametrize("document", sorted(SAFE_TEXT))
def test_article_keeps_its_text_and_loses_every_attack(request, document):
    build = request.getfixturevalue("traps" if "traps" in document else "hostile")
    docs = _xhtml_members(_built(build)["epub"])
    name = next((n for n in docs if n.endswith("/" + document) or n == document), None)
    assert name is not None, f"{document} is not in the EPUB: {sorted(docs)}"
    text = " ".join("".join(etree.fromstring(docs[name]).itertext()).split())
    for words in SAFE_TEXT[document]:
        assert words in text, f"{words!r} was lost from {document}"
    assert "SCRIPTED" not in text, f"a script's text is shown in {document}"
    assert _check_markup(name, docs[name]) == []


@pytest.mark.parametrize("issue", ["hostile", "traps"])
def test_no_xhtml_document_carries_dangerous_markup(request, issue):
    problems = []
    for name, data in _xhtml_members(_built(request.getfixturevalue(issue))["epub"]).items():
        problems += _check_markup(name, data)
    assert problems == []


def test_no_manifest_item_is_scripted_or_remote(hostile):
    book = Epub(_built(hostile)["epub"])
    for item in book.manifest().values():
        properties = item.get("properties", "").split()
        assert "scripted" not in properties and "remote-resources" not in properties, item
        assert not re.match(r"^[a-z][a-z0-9+.\-]*:|^//|^/", item["href"], re.I), item
        assert item["media-type"] not in ("application/javascript", "text/javascript"), item
    for name in _members(book.path):
        assert not name.endswith((".js", ".txt")), f"unexpected file {name} in the EPUB"
        if name.endswith(".svg"):  # SVG images are kept, cleaned: nothing that runs or reaches out
            svg = zipfile.ZipFile(book.path).read(name).decode()
            for gone in ("<script", "onload", "onclick", "javascript:", "foreignObject", "file:", "href=\"http"):
                assert gone not in svg, (name, gone)


def test_template_syntax_stays_literal(hostile):
    epub = _built(hostile)["epub"]
    docs = _xhtml_members(epub)
    name = next(n for n in docs if n.endswith("template-attack.xhtml"))
    root = etree.fromstring(docs[name])
    headline = root.find(".//x:h1", NS)
    assert headline is not None
    assert " ".join("".join(headline.itertext()).split()) == "{{ 7*7 }}"
    text = "".join(root.itertext())
    assert "{% raw %}" in text, "the kicker '{% raw %}' was lost or rendered"
    assert "{% endraw %}" in text and "{{ config }}" in text
    body = text.split("Body text:", 1)[1]
    for literal in ("{{ 7*7 }}", "{# a comment #}", "${7*7}", "#{7*7}", "<%= 7*7 %>"):
        assert literal in body, f"{literal!r} was lost from the body"
    assert "49" not in text, "template syntax in an article was evaluated"
    assert "__globals__" in text  # the byline, shown as written
    # The title appears as written in the contents page, the navigation and the package too.
    assert any("{{ 7*7 }}" in "".join(etree.fromstring(d).itertext()) for n, d in docs.items() if "nav" in n)
    book = Epub(epub)
    assert book.metadata("description") == ["{{ 7*7 }} {% raw %}"]


def test_template_syntax_stays_literal_in_the_pdf(hostile):
    text = " ".join(_pdftotext(_built(hostile)["pdf"]).split())
    assert "{{ 7*7 }}" in text
    assert "{% raw %}" in text


def test_no_secret_in_the_epub(hostile, secrets):
    for name, data in _members(_built(hostile)["epub"]).items():
        assert secrets["token"].encode() not in data, f"the canary file's contents are in {name}"
        assert b"CANARY-FROM-THE-NETWORK" not in data, f"a network response is in {name}"
        if name.endswith(TEXT_SUFFIXES):
            text = data.decode("utf-8", "replace")
            assert not _leaks(secrets["hostname"], text), f"/etc/hostname's contents are in {name}"


def test_no_secret_in_the_pdf(hostile, secrets):
    pdf = _built(hostile)["pdf"]
    text = _pdftotext(pdf)
    assert "Safe paragraph one." in " ".join(text.split())  # the articles are there at all
    assert secrets["token"] not in text
    assert "CANARY-FROM-THE-NETWORK" not in text
    assert not _leaks(secrets["hostname"], text), "/etc/hostname's contents are in the PDF's text"
    assert secrets["token"].encode() not in pdf.read_bytes()


def test_pdf_has_no_embedded_files(hostile):
    tool = shutil.which("pdfdetach")
    if tool is None:
        pytest.skip("pdfdetach is not installed (poppler-utils)")
    listing = subprocess.run([tool, "-list", str(_built(hostile)["pdf"])], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    assert listing.strip().splitlines()[0] == "0 embedded files", listing


def test_pdf_has_no_script_file_link_or_attachment(hostile):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(_built(hostile)["pdf"])
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    names = root.get("/Names")
    if names is not None:
        names = names.get_object()
        assert "/JavaScript" not in names and "/EmbeddedFiles" not in names
    for number, page in enumerate(reader.pages, start=1):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            assert annot.get("/Subtype") != "/FileAttachment", f"page {number}: file attachment"
            action = annot.get("/A")
            if action is None:
                continue
            action = action.get_object()
            assert action.get("/S") in ("/URI", "/GoTo", None), f"page {number}: action {action}"
            uri = str(action.get("/URI", ""))
            assert not re.match(r"^\s*(javascript|vbscript|file|data):", uri, re.I), f"page {number}: link {uri}"


def test_messages_do_not_echo_secrets(hostile, secrets):
    result = hostile["result"]
    output = result.stdout + result.stderr
    assert secrets["token"] not in output
    assert "CANARY-FROM-THE-NETWORK" not in output


# ---------------------------------------------------------------------------- remote images


def test_remote_and_file_images_are_dropped_and_the_build_succeeds(remote_images, secrets):
    build = _built(remote_images)
    problems = []
    docs = _xhtml_members(build["epub"])
    for name, data in docs.items():
        problems += _check_markup(name, data)
    assert problems == []
    text = " ".join(" ".join("".join(etree.fromstring(d).itertext()) for d in docs.values()).split())
    assert "Before the pictures." in text and "After the pictures." in text
    for name, data in _members(build["epub"]).items():
        assert secrets["token"].encode() not in data, name
        if name.endswith(TEXT_SUFFIXES):
            assert not _leaks(secrets["hostname"], data.decode("utf-8", "replace")), name
    pdf_text = _pdftotext(build["pdf"])
    assert secrets["token"] not in pdf_text and not _leaks(secrets["hostname"], pdf_text)


def test_remote_images_epub_passes_epubcheck(remote_images):
    assert epubcheck(_built(remote_images)["epub"]) == []


# ---------------------------------------------------------------------------- the issue's own CSS
# Beyond the articles: an issue may override the theme's CSS file by file (templates/css/…).
# What it names from there must not reach out of the EPUB either.


@pytest.fixture(scope="module")
def issue_css(server, secrets, tmp_path_factory) -> dict:
    url = f"http://127.0.0.1:{server.server_address[1]}"
    root = tmp_path_factory.mktemp("css") / "issue-css"
    _write_issue(root, (
        "publication: Styled Weekly\n"
        "date: 2025-03-01\n"
        "language: en\n"
        "articles:\n"
        "  - articles/one.md\n"
    ), {
        "articles/one.md": "---\ntitle: Styled\n---\n\nStyled text.\n",
        "templates/css/common.css": (
            f"@import url({url}/theme-import.css);\n"
            f"body {{ background: url({url}/theme-bg.png); }}\n"
            "h1 { background: url(file:///etc/hostname); }\n"
            f"p {{ background: url(file://{secrets['canary']}); }}\n"),
    })
    return _build(root, tmp_path_factory.mktemp("css-out"))


def test_issue_css_reaches_nothing_outside_the_epub(issue_css, secrets):
    build = _built(issue_css)
    book = Epub(build["epub"])
    for item in book.manifest().values():
        assert "remote-resources" not in item.get("properties", "").split(), item
    for name, data in _members(build["epub"]).items():
        if name.endswith(".css"):
            text = data.decode("utf-8", "replace")
            assert not re.search(r"url\(\s*['\"]?\s*(https?:|file:|//)", text, re.I), f"{name} names a remote resource"
            assert not re.search(r"@import\s+(url\()?\s*['\"]?\s*(https?:|file:|//)", text, re.I), f"{name} imports a remote sheet"
        assert secrets["token"].encode() not in data, name


def test_issue_css_epub_passes_epubcheck(issue_css):
    messages = epubcheck(_built(issue_css)["epub"])
    assert [(m["ID"], m["message"]) for m in messages] == []


# ---------------------------------------------------------------------------- CSS escapes
# CSS decodes escapes (\i is i, \72 is r) and image-set() takes bare strings as URLs: what a
# reader would fetch is judged as tinycss2 reads it, one issue per trick.

DEFAULT_CSS = ROOT / "templates" / "default" / "css" / "common.css"
HIDDEN_URLS = {
    "escaped-scheme": r'h1 { background: url("f\ile:///etc/passwd"); }',
    "escaped-url": r"h1 { background: u\72l(file:///etc/passwd); }",
    "image-set": 'h1 { background-image: image-set("file:///etc/passwd" 1x); }',
    "webkit-image-set": 'h1 { background-image: -webkit-image-set("file:///etc/passwd" 1x); }',
    "escaped-import": r'@\69mport "x.css";',
    # No escape at all, and still past the regular expressions:
    "comment-in-url": 'h1 { background: url("file:///etc/passwd"/**/); }',
    "tab-in-url": 'h1 { background: url("fi\tle:///etc/passwd"); }',
    "control-before-url": 'h1 { background: url("\x01file:///etc/passwd"); }',
    "percent-encoded-climb": "h1 { background: url(images/%2e%2e/%2e%2e/%2e%2e/etc/passwd); }",
}


def _css_issue(root: Path, appended: str) -> tuple[Path, int]:
    """An issue whose templates/css/common.css is the default theme's with one line appended,
    and that line's number."""
    base = DEFAULT_CSS.read_text(encoding="utf-8")
    base += "" if base.endswith("\n") else "\n"
    _write_issue(root, "publication: Escaped Weekly\ndate: 2025-03-01\nlanguage: en\narticles:\n  - articles/one.md\n",
                 {"articles/one.md": "---\ntitle: Escaped\n---\n\nEscaped text.\n",
                  "templates/css/common.css": base + appended + "\n"})
    return root, base.count("\n") + 1


def _build_epub(issue: Path, out: Path) -> tuple[subprocess.CompletedProcess, bytes]:
    result = masthead("build", str(issue), "-o", str(out), "-f", "epub")
    assert result.returncode == 0, f"build failed (exit {result.returncode}):\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout
    members = _members(out / f"{issue.name}.epub")
    return result, next(data for name, data in members.items() if name.endswith("css/common.css"))


def _css_loads(css: str) -> list[str]:
    """Every URL a reader would load from ``css``, as tinycss2 reads it (escapes decoded);
    "@import" for an @import rule."""
    tinycss2 = pytest.importorskip("tinycss2")
    found = []

    def walk(nodes) -> None:
        for node in nodes:
            keyword = node.lower_at_keyword if node.type == "at-rule" else node.lower_value if node.type == "at-keyword" else ""
            if keyword == "import":
                found.append("@import")
            if node.type == "url":
                found.append(node.value)
            if node.type == "function":
                strings = [a.value for a in node.arguments if a.type == "string"]
                if node.lower_name in ("url", "src"):
                    found.extend(strings[:1])
                elif node.lower_name in ("image-set", "-webkit-image-set"):
                    found.extend(strings)
            for part in ("prelude", "content", "arguments"):
                if isinstance(getattr(node, part, None), list):
                    walk(getattr(node, part))

    walk(tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False))
    return found


@pytest.mark.parametrize("trick", sorted(HIDDEN_URLS))
def test_css_escapes_hide_no_url_from_the_confinement(trick, tmp_path):
    issue, line = _css_issue(tmp_path / "escaped", HIDDEN_URLS[trick])
    result, css = _build_epub(issue, tmp_path / "out")
    loads = _css_loads(css.decode("utf-8"))
    assert "@import" not in loads
    assert not [url for url in loads if re.match(r"^[\x00-\x20]*[a-z][a-z0-9+.\-]*:", url, re.I)], loads
    assert re.search(rf"templates[/\\]css[/\\]common\.css:{line}:\d+: warning: .*removed", result.stderr), result.stderr


def test_css_escapes_that_name_nothing_are_kept_byte_for_byte(tmp_path):
    issue, _ = _css_issue(tmp_path / "harmless",
                          r'blockquote::before { content: "\201C"; } figure { background: url(../fonts/NotoSerif-Regular.ttf); }')
    result, css = _build_epub(issue, tmp_path / "out")
    assert css == (issue / "templates" / "css" / "common.css").read_bytes()
    assert "removed" not in result.stderr, result.stderr


# ---------------------------------------------------------------------------- the network


def test_no_request_reached_the_server(server, hostile, traps, remote_images, issue_css):
    """Last: every build of this module is done, and nothing ever knocked."""
    assert all(b["result"].returncode is not None for b in (hostile, traps, remote_images, issue_css))
    assert server.requests == []


def test_the_built_in_themes_stylesheets_need_no_second_reading():
    """The tinycss2 pass is for stylesheets that may hide a URL; the built-in theme's hold
    nothing of the kind, so a normal build neither imports nor runs it (~12 ms)."""
    script = ("import sys, pathlib\n"
              "from masthead.render import stylesheets\n"
              "from masthead.diagnostics import Report\n"
              f"for f in sorted(pathlib.Path({str(ROOT / 'templates' / 'default' / 'css')!r}).glob('*.css')):\n"
              "    assert stylesheets.confined_css(f.read_text('utf-8'), f, Report()) == f.read_text('utf-8'), f\n"
              "print('tinycss2' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_stylesheets_charset_cannot_make_a_reader_read_other_text(tmp_path):
    """Checked as UTF-8, read by a reader as GBK, the same bytes could close a string early and
    uncover a url(): a @charset other than UTF-8 goes, with a warning; UTF-8's stays."""
    from masthead.diagnostics import Report
    from masthead.render import stylesheets

    hostile = '@charset "gbk";\na{x:"中\\";background:u\\72l(http://evil.example/x.png)}"}\n'
    report = Report()
    kept = stylesheets.confined_css(hostile, tmp_path / "x.css", report)
    assert "@charset" not in kept and kept.endswith(hostile.split("\n", 1)[1])
    assert [str(w.position) for w in report.warnings] == [f"{tmp_path / 'x.css'}:1:1"]
    assert "UTF-8" in report.warnings[0].message
    plain = '@charset "UTF-8";\nh1 { color: red }\n'
    assert stylesheets.confined_css(plain, tmp_path / "y.css", Report()) == plain


def test_a_stray_brace_beside_a_removed_url_is_no_crash(tmp_path):
    from masthead.diagnostics import Report
    from masthead.render import stylesheets

    report = Report()
    kept = stylesheets.confined_css("b { color: red }\na{background:u\\72l(http://x/y)}\n}\n", tmp_path / "x.css", report)
    assert "http" not in kept and "color: red" in kept
    assert len(report.warnings) == 1


def test_warnings_name_the_files_own_lines_after_a_removal(tmp_path):
    """A removed @import spanning two lines must not shift the positions of what follows."""
    from masthead.diagnostics import Report
    from masthead.render import stylesheets

    css = ("@import url(a.css)\n  screen;\n"
           "body { background: url(http://x/y.png) }\n"
           "p { color: red }\n"
           "q { b: u\\72l(http://z/) }\n")
    report = Report()
    kept = stylesheets.confined_css(css, tmp_path / "x.css", report)
    where = [(w.position.line, w.position.col) for w in report.warnings]
    assert where == [(1, 1), (3, 20), (5, 8)], where
    assert kept.count("\n") == css.count("\n")
