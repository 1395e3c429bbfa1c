"""HTML and XHTML articles: well-formed XHTML read as XML, anything else as the web reads HTML
(fragments included); the article's fields from ``<title>`` and ``<meta name=…>``, its
language from ``lang``, the epub:type vocabularies it declares from ``epub:prefix``."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml import etree

from masthead.content import repair
from masthead.content.readers.base import KNOWN_PREFIXES, ReaderResult, decode_text
from masthead.content.sanitize import never_closed, swallowed_message
from masthead.diagnostics import Position, Report
from masthead.manifest import loader
from masthead.runtime import i18n, safexml
from masthead.runtime.safexml import OPS, local_name


class HtmlReader:
    name = "HTML"
    suffixes: tuple[str, ...] = (".html", ".htm", ".xhtml")
    shown: tuple[str, ...] = (".html", ".xhtml")

    def read(self, raw: bytes, path: Path, entry, meta, report: Report) -> ReaderResult:
        text = decode_text(raw, path, report)
        if text is None:
            return ReaderResult({}, None, None, {})
        return _html(text, path, report, meta.root)


READER = HtmlReader()


_BODY_END = re.compile(r"</\s*(?:body|html)\s*>", re.I)


def _trim_body_end(document) -> None:
    """The line ends kept where </body> and </html> stood are no text of the body's: blank space
    at its end stays as the source had it before them (one line end)."""
    body = document.find("body")
    if body is None:
        return
    last = body[-1] if len(body) else None
    space = last.tail if last is not None else body.text
    if space and not space.strip() and space.count("\n") > 1:
        trimmed = space[:space.index("\n") + 1]
        if last is not None:
            last.tail = trimmed
        else:
            body.text = trimmed


def _html(text: str, path: Path, report: Report, root: Path) -> ReaderResult:
    """An HTML or XHTML article: its fields, language, body, and the epub:type prefixes it declares."""
    # encoding: the text was read as UTF-8 (or refused); a declaration of another must not re-read it
    parser = safexml.parser(encoding="utf-8")
    try:
        document = etree.fromstring(text.encode("utf-8"), parser)
        if local_name(document) != "html":
            raise etree.XMLSyntaxError("not an html document", None, 0, 0)
    except etree.XMLSyntaxError:
        # Not well-formed XML: read it as the web would, as HTML (fragments included).
        try:
            # Text after </body> or </html> is the body's, as HTML parsers read it; libxml2's would
            # drop it: the two end tags go (their line ends stay, for the lines of messages).
            page = _BODY_END.sub(lambda m: "\n" * m.group(0).count("\n"), text)
            document = lxml.html.document_fromstring(page.encode("utf-8"),  # as read: UTF-8, whatever it declares
                                                     parser=lxml.html.HTMLParser(no_network=True, encoding="utf-8"))
            repair.move_head_strays(document)
            _trim_body_end(document)
            swallowed = never_closed(text)
            if swallowed is not None:
                offset, what = swallowed
                line_start = text.rfind("\n", 0, offset) + 1
                report.warning(Position(path, text.count("\n", 0, offset) + 1, offset - line_start + 1), swallowed_message(what))
        except (etree.ParserError, ValueError):
            report.error(Position(path, 1, 1), "no HTML content")
            return ReaderResult({}, None, None, {})
    prefixes = dict(KNOWN_PREFIXES)
    declared = document.get(f"{{{OPS}}}prefix") or document.get("epub:prefix") or ""
    for name, uri in re.findall(r"(?<![\w.-])([A-Za-z_][A-Za-z0-9_.-]*):\s+(\S+)", declared):  # a prefix is an NCName
        prefixes[name] = uri.rstrip(",")
    lang = document.get("{http://www.w3.org/XML/1998/namespace}lang") or document.get("lang")
    meta: dict[str, str] = {}
    meta_pos: dict[str, Position] = {}
    for element in document.iter():
        name = local_name(element)
        line = getattr(element, "sourceline", None)
        if name == "title" and (element.text or "").strip():
            meta.setdefault("title", " ".join(element.text.split()))
            meta_pos.setdefault("title", Position(path, line, 1))
        elif name == "meta" and element.get("name") and element.get("content") is not None:
            key = element.get("name").strip().lower()
            key = {"author": "byline", "description": "summary", "keywords": "tags"}.get(key, key)
            if key in loader.ARTICLE_KEYS and key != "image":
                meta[key] = element.get("content")
                meta_pos[key] = Position(path, line, 1)
    y = loader.Y({k: loader.Y(v, meta_pos[k], raw=v) for k, v in meta.items()}, Position(path, 1, 1), keys=meta_pos)
    fields = loader.article_fields(y, report, root, path.parent)
    body = next((e for e in document.iter() if local_name(e) == "body"), None)
    if body is None:
        body = document
    if lang and "lang" not in fields and i18n.is_valid_tag(lang):
        fields["lang"] = lang
    # libxml2 keeps each element's line in the file: a message about one is put there
    return ReaderResult(fields, fields.get("lang"), body, prefixes, text, 0, source_lines=True)
