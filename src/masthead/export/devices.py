"""Device compatibility rules: what makes a valid EPUB look broken on one family of readers.

EPUBCheck says whether an EPUB is valid; these rules say whether it will *work* on the devices
people read on. Each rule has a name, the device family it protects and a check over the built
archive. ``masthead build`` runs them on every EPUB it writes and ``masthead check`` on the EPUB
it would write; a finding is a warning (``--strict`` in check makes it fail).

Sources: Amazon's Kindle Publishing Guidelines (Send-to-Kindle's E999 rejections: CSS custom
properties, malformed comments, undeclared language, fonts other than TTF/OTF, files over
50 MB), Apple Books' asset guide (embedded fonts show only with the display-options file),
Kobo's KEPUB conventions, Apple Books' 4,000,000-pixel limit for images, and the EPUB 3 Structural Semantics for pop-up footnotes.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from masthead.runtime.cache import Cache
from masthead.runtime.safexml import parse

SIZE_BUDGET = 50 * 1024 * 1024  # Send-to-Kindle's limit for e-mailed documents
OPS = "http://www.idpf.org/2007/ops"


class Finding(NamedTuple):
    rule: str
    device: str
    file: str  # the entry in the archive
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}, {self.device}] {self.file}: {self.message}"


RULES = {
    "language-declared": "Kindle",
    "no-css-custom-properties": "Kindle",
    "no-double-hyphen-in-comments": "Kindle",
    "fonts-ttf-or-otf": "Kindle",
    "size-budget": "Kindle",
    "apple-display-options": "Apple Books",
    "footnotes-pop-up": "Kobo, Apple Books, KOReader, Kindle",
    "cover-image": "all readers' libraries",
    "kobo-spans": "Kobo",
    "image-pixels": "Apple Books",
}
APPLE_PIXELS = 4_000_000  # Apple Books' limit for an image inside an EPUB (its asset guide)


def check_epub(data: bytes, kepub: bool = False, budget: int = SIZE_BUDGET, store: Cache | None = None) -> list[Finding]:
    """Every rule's findings for one archive, in rule order; an unchanged entry's taken from
    ``store``'s memory when the run's cache remembers (a process that builds again)."""
    store = store or Cache(None)
    found: list[Finding] = []

    def add(rule: str, file: str, message: str) -> None:
        found.append(_finding(rule, file, message))

    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    container = etree.fromstring(archive.read("META-INF/container.xml"))
    opf_name = container.find(".//{*}rootfile").get("full-path")
    base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
    opf = etree.fromstring(archive.read(opf_name))
    items = {i.get("href"): i for i in opf.iter("{http://www.idpf.org/2007/opf}item")}

    if not [e for e in opf.iter("{http://purl.org/dc/elements/1.1/}language") if (e.text or "").strip()]:
        add("language-declared", opf_name, "no dc:language: Send-to-Kindle rejects the file")
    contents = {name: archive.read(name) for name in names if name.endswith((".css", ".xhtml", ".opf", ".ncx", ".xml"))}
    for name, text in contents.items():
        found += _memo(store, _text_rules, name, text)
    for href, item in items.items():
        media = item.get("media-type", "")
        if (media.startswith(("font/", "application/font")) or href.endswith((".woff", ".woff2"))) \
                and media not in ("font/ttf", "font/otf", "application/vnd.ms-opentype", "application/x-font-ttf"):
            add("fonts-ttf-or-otf", base + href, f"font as {media}: Kindle takes TrueType and OpenType only")
    total = sum(i.file_size for i in archive.infolist())
    if total > budget:
        heaviest = sorted(archive.infolist(), key=lambda i: -i.file_size)[:3]
        add("size-budget", "(the archive)", f"{total / 1048576:.1f} MB unpacked, over {budget / 1048576:.0f} MB; heaviest: "
            + ", ".join(f"{i.filename} ({i.file_size / 1048576:.1f} MB)" for i in heaviest))
    fonts = [h for h, i in items.items() if i.get("media-type", "").startswith("font/")]
    if fonts and "META-INF/com.apple.ibooks.display-options.xml" not in names:
        add("apple-display-options", "META-INF/", "embedded fonts without com.apple.ibooks.display-options.xml: Apple Books ignores them")
    if not any("cover-image" in (i.get("properties") or "") for i in items.values()):
        add("cover-image", opf_name, "no manifest item has the cover-image property: libraries show a blank cover")
    for href, item in items.items():
        if item.get("media-type", "").startswith("image/") and item.get("media-type") != "image/svg+xml" \
                and base + href in names:
            found += _memo(store, _image_rules, base + href, archive.read(base + href))
    for href, item in items.items():
        if item.get("media-type") == "application/xhtml+xml" and "nav" not in (item.get("properties") or ""):
            found += _memo(store, _document_rules, base + href, contents.get(base + href, b""), kepub)
    return found


def _memo(store: Cache, rules, name: str, data: bytes, *options) -> list[Finding]:
    """``rules(name, data, *options)``: what it found in this entry before, when a process builds
    again (build --watch), since an unchanged entry gives the same findings."""
    return store.memo("compat", (rules.__name__, name, repr(options), data), lambda: rules(name, data, *options),
                      size=lambda found: 1 + len(found))


def _text_rules(name: str, data: bytes) -> list[Finding]:
    """The rules that read a text entry (stylesheet, document, package) as text."""
    found = []
    text = data.decode("utf-8", "replace")
    if name.endswith(".css") and re.search(r"(^|[;{\s])--[\w-]+\s*:|var\(\s*--", text):
        found.append(_finding("no-css-custom-properties", name, "CSS custom properties (--name / var()): Kindle's converter fails on them"))
    for comment in re.findall(r"<!--(.*?)-->", text, re.S):
        if "--" in comment:
            found.append(_finding("no-double-hyphen-in-comments", name, "'--' inside a comment: not well-formed for Kindle's parser"))
            break
    return found


def _document_rules(name: str, data: bytes, kepub: bool) -> list[Finding]:
    """The rules that read one content document as XHTML: its footnotes, and Kobo's spans."""
    found: list[Finding] = []
    if not kepub and b"noteref" not in data:
        return found  # no note to check and no spans to look for: no need to parse it
    try:
        root = parse(data)
    except etree.XMLSyntaxError:
        return found  # not well-formed (or missing): EPUBCheck's business, and the comment rule's
    refs = [r for r in root.iter("{http://www.w3.org/1999/xhtml}a") if "noteref" in (r.get(f"{{{OPS}}}type") or "").split()]
    ids = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")} if refs else {}
    for ref in refs:
        target = ref.get("href") or ""
        if target.startswith("#"):
            note = ids.get(unquote(target[1:]))
            kinds = set((note.get(f"{{{OPS}}}type") or "").split()) if note is not None else set()
            if not kinds & {"footnote", "endnote", "note", "rearnote"}:
                found.append(_finding("footnotes-pop-up", name, f"noteref to {target}, which is not an element marked as a footnote"))
    if kepub and not root.xpath('boolean(//*[@class="koboSpan"])') and root.find(".//{*}p") is not None:
        found.append(_finding("kobo-spans", name, "no koboSpan: Kobo opens it without its KEPUB renderer"))
    return found


def _image_rules(name: str, data: bytes) -> list[Finding]:
    """An image over Apple Books' pixel limit (the cover the issue gives, a figure)."""
    from PIL import Image  # the header only: no image is decoded

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # noqa: BLE001 - not an image Pillow reads: EPUBCheck's business
        return []
    if width * height > APPLE_PIXELS:
        return [_finding("image-pixels", name, f"{width} x {height} = {width * height:,} pixels, over Apple Books' "
                                               f"{APPLE_PIXELS:,}: it may refuse the book")]
    return []


def _finding(rule: str, file: str, message: str) -> Finding:
    return Finding(rule, RULES[rule], file, message)
