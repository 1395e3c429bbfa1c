"""The one way masthead parses XML, and writes an article's XHTML back as text.

Every document, article, package file and SVG that masthead reads as XML goes through
:func:`parser`: no entity is resolved (no "billion laughs", no external entity reading a file),
no DTD is loaded, nothing is fetched from the network, and a malformed document is an error,
never "recovered" into something else. A leaf module: lxml and nothing of masthead's, so any
stage may use it (tests/test_safexml.py checks that no other module builds a parser of its own).
"""

from __future__ import annotations

import io
import re
from typing import overload

from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"  # the epub: prefix's namespace
XML = "http://www.w3.org/XML/1998/namespace"


def parser(*, huge_tree: bool = False, encoding: str | None = None) -> etree.XMLParser:
    """A parser that resolves and fetches nothing. ``huge_tree`` lifts libxml2's limits on
    depth and text size (for the whole-issue print document); ``encoding`` overrides what the
    document declares (text already decoded and re-encoded as UTF-8)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False,
                           huge_tree=huge_tree, encoding=encoding)


def parse(data: bytes, *, huge_tree: bool = False):
    """The root element of an XML document or fragment given as bytes."""
    return etree.fromstring(data, parser(huge_tree=huge_tree))


def parse_document(data: bytes):
    """The whole document (an ElementTree: its root, doctype and prolog kept for writing back)."""
    return etree.parse(io.BytesIO(data), parser())


# Characters XML 1.0 cannot carry; Word and the web paste them in.
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@overload
def xml_text(value: str) -> str: ...


@overload
def xml_text(value: None) -> None: ...


def xml_text(value: str | None) -> str | None:
    """``value`` without the characters XML 1.0 cannot carry."""
    return None if value is None else _BAD_XML_CHARS.sub("", value)


def split_tag(tag) -> tuple[str | None, str | None]:
    """(namespace, lower-case local name) of an element's tag; (None, None) for comments and
    processing instructions. Read from the string: the HTML parser makes tags from any text
    ("<M<" gives "m<"), which lxml's QName would refuse."""
    if not isinstance(tag, str):
        return None, None
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local.lower()
    return None, tag.lower()


def local_name(element) -> str | None:
    return split_tag(element.tag)[1]


def escape_text(value: str) -> str:
    """Text as XML character data (what xml.sax.saxutils.escape does, without importing urllib)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# The namespace declarations lxml repeats on each top-level element it writes; the document
# templates declare them once. Only a start tag is ever searched for them: never text.
_DECLARATIONS = re.compile(f' xmlns="{re.escape(XHTML)}"| xmlns:epub="{re.escape(OPS)}"')


def serialize_fragment(tree, children=None) -> str:
    """The content of a clean tree (its text and children, or the ``children`` given) as XHTML
    text for a document to hold, without the namespace declarations the document makes."""
    parts = [escape_text(tree.text or "")]
    for child in (tree if children is None else children):
        written = etree.tostring(child, encoding="unicode", method="xml")
        if isinstance(child.tag, str):  # an element: its start tag ends at the first ">" (lxml escapes it in values)
            end = written.index(">") + 1
            written = _DECLARATIONS.sub("", written[:end]) + written[end:]
        parts.append(written)
    return "".join(parts)


def parse_fragment(body: str):
    """The ``<div>`` holding a body that :func:`serialize_fragment` wrote, parsed back (XHTML and epub
    namespaces declared on it, as the document templates declare them)."""
    return parse(f'<div xmlns="{XHTML}" xmlns:epub="{OPS}">{body}</div>'.encode())
