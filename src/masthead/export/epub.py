"""RenderedIssue → EPUB 3.3 (with an EPUB 2 NCX), byte-identical for the same input.

ebooklib writes the OCF container, the package document and the NCX; we hand it our
documents as opaque bytes (plain ``EpubItem``s, whose content it does not touch: its
``EpubHtml`` would re-parse and strip them), our own navigation document, and no page-list.
Then the archive is rewritten: ``mimetype`` first and stored, fixed timestamps and
permissions, stable order, so two builds of the same issue are the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from masthead.export import archive
from masthead.model.documents import Kind, RenderedIssue, TocEntry
from masthead.runtime.cache import Cache

FIRST = ("mimetype", "META-INF/container.xml", "EPUB/content.opf")
# Already compressed: deflating them again costs time and saves nothing.
STORED = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".woff", ".woff2")
APPLE_DISPLAY_OPTIONS = (b'<?xml version="1.0" encoding="UTF-8"?>\n<display_options>\n'
                         b'  <platform name="*">\n    <option name="specified-fonts">true</option>\n  </platform>\n'
                         b'</display_options>\n')


def export(issue: RenderedIssue, store: Cache | None = None) -> bytes:
    """The EPUB's bytes; large entries' deflated forms kept in ``store``, the run's cache."""
    from ebooklib import epub  # imported here: `masthead --help` must not pay for it

    meta = issue.meta
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    book.set_title(meta.title)
    book.set_language(meta.language)
    if meta.direction == "rtl":
        book.set_direction("rtl")  # page-progression-direction="rtl" on the spine
    book.add_author(meta.publication, uid="creator")
    for i, name in enumerate(meta.editors):
        book.add_metadata("DC", "contributor", name, {"id": f"editor{i}"})
        book.add_metadata(None, "meta", "edt", {"refines": f"#editor{i}", "property": "role", "scheme": "marc:relators"})
    for i, name in enumerate(meta.creators):
        book.add_metadata("DC", "contributor", name, {"id": f"author{i}"})
        book.add_metadata(None, "meta", "aut", {"refines": f"#author{i}", "property": "role", "scheme": "marc:relators"})
    book.add_metadata("DC", "date", meta.date.isoformat())
    for key in ("publisher", "rights", "description"):
        if getattr(meta, key):
            book.add_metadata("DC", key, getattr(meta, key))
    for subject in meta.subjects:
        book.add_metadata("DC", "subject", subject)
    if meta.issn:
        book.add_metadata("DC", "source", f"urn:issn:{meta.issn}")
    # The issue as part of its publication: readers group issues of one magazine.
    book.add_metadata(None, "meta", meta.publication, {"property": "belongs-to-collection", "id": "collection"})
    book.add_metadata(None, "meta", "series", {"refines": "#collection", "property": "collection-type"})
    if meta.number is not None:
        book.add_metadata(None, "meta", str(meta.number), {"refines": "#collection", "property": "group-position"})
    # The same as calibre writes it, which calibre, Kobo's and many apps' libraries read (not EPUB 3's)
    book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": meta.publication})
    if meta.number is not None:
        book.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": str(meta.number)})

    _accessibility(book, issue)

    spine = []
    for doc in issue.documents:
        if doc.kind == Kind.PRINT:
            continue
        item = epub.EpubItem(uid=_item_id(doc.name), file_name=doc.name, media_type="application/xhtml+xml", content=doc.content)
        item.properties = list(doc.properties)
        book.add_item(item)
        if doc.kind != Kind.NAV:
            spine.append(item)
    for resource in issue.resources_for("epub"):
        if resource.name == issue.cover_image:
            cover = epub.EpubCover(uid="cover-image", file_name=resource.name)
            cover.media_type, cover.content = resource.media_type, resource.data
            book.add_item(cover)
            book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers, Kindle
        else:
            book.add_item(epub.EpubItem(uid=_item_id(resource.name), file_name=resource.name,
                                        media_type=resource.media_type, content=resource.data))
    if any(r.media_type.startswith("font/") for r in issue.resources_for("epub")):
        # Apple Books shows embedded fonts only when this file says so.
        # A media type given: without one ebooklib guesses it, and its first guess reads the
        # system's mime.types. The file is not in the manifest: the type is not written.
        book.add_item(epub.EpubItem(file_name="META-INF/com.apple.ibooks.display-options.xml", manifest=False,
                                    media_type="application/xml", content=APPLE_DISPLAY_OPTIONS))
    book.add_item(epub.EpubNcx())
    book.toc = [_toc_entry(epub, entry) for entry in issue.toc]
    book.spine = spine
    first_article = next(d.name for d in issue.documents if d.kind == Kind.ARTICLE)
    book.guide = [
        {"type": "cover", "href": "cover.xhtml", "title": "Cover"},
        {"type": "toc", "href": "contents.xhtml", "title": "Contents"},
        {"type": "text", "href": first_article, "title": "Start"},
    ]
    raw = io.BytesIO()
    epub.EpubWriter(raw, book, {
        "epub3_pages": False,  # its page-list points at ids that do not exist (ebooklib #339)
        "epub3_landmark": False,  # our nav.xhtml carries the landmarks
        "mtime": meta.modified,
        "spine_direction": True,
        "compresslevel": 0,  # reproducible() compresses each entry once, below
    }).write()
    return reproducible(raw.getvalue(), meta.modified, {"EPUB/content.opf": lambda opf: _package_language(opf, meta)}, store)


def _package_language(opf: bytes, meta) -> bytes:
    """``xml:lang`` (and ``dir``) on <package>, which ebooklib cannot write: reading systems
    and Ace take the language of the metadata (title, description …) from there."""
    from lxml import etree

    from masthead.runtime.safexml import parse

    tree = parse(opf)
    tree.set("{http://www.w3.org/XML/1998/namespace}lang", meta.language)
    if meta.direction == "rtl":
        tree.set("dir", "rtl")
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _accessibility(book, issue: RenderedIssue) -> None:
    a11y = issue.accessibility
    if a11y is None:
        return

    def meta(prop: str, value: str) -> None:
        book.add_metadata(None, "meta", value, {"property": prop})

    for mode in a11y.access_modes:
        meta("schema:accessMode", mode)
    for combination in a11y.sufficient:
        meta("schema:accessModeSufficient", ",".join(combination))
    for feature in a11y.features:
        meta("schema:accessibilityFeature", feature)
    meta("schema:accessibilityHazard", "none")
    meta("schema:accessibilitySummary", a11y.summary)
    if a11y.conforms:
        meta("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA")
    if a11y.certified_by:
        book.add_metadata(None, "meta", a11y.certified_by, {"property": "a11y:certifiedBy", "id": "certifier"})
        if a11y.certifier_credential:
            book.add_metadata(None, "meta", a11y.certifier_credential, {"property": "a11y:certifierCredential", "refines": "#certifier"})
        if a11y.certifier_report:
            book.add_metadata(None, "link", "", {"rel": "a11y:certifierReport", "href": a11y.certifier_report, "refines": "#certifier"})
    if issue.page_list:
        meta("pageBreakSource", issue.meta.identifier)


def _toc_entry(epub, entry: TocEntry):
    if entry.children:
        return (epub.Section(entry.title, entry.href), [_toc_entry(epub, c) for c in entry.children])
    return epub.Link(entry.href, entry.title, _item_id(entry.href) + "-toc")


def _item_id(name: str) -> str:
    # Manifest ids are XML names: "images/a.jpg" → "images-a-jpg"; documents keep their stem.
    stem = name.removesuffix(".xhtml")
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)
    return out if out[:1].isalpha() else f"i-{out}"


def reproducible(data: bytes, when: dt.datetime, edits: dict | None = None, store: Cache | None = None) -> bytes:
    """The same archive with ``mimetype`` first and stored, fixed times, modes and order;
    ``edits`` maps entry names to functions that rewrite their bytes on the way."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    order = [n for n in FIRST if n in names] + sorted(n for n in names if n not in FIRST)
    entries = []
    for name in order:
        content = source.read(name)
        if edits and name in edits:
            content = edits[name](content)
        entries.append(archive.Entry(name, content, deflate=not (name == "mimetype" or name.lower().endswith(STORED))))
    return archive.write(entries, when, store)
