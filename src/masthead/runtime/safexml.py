"""The one way masthead parses XML.

Every document, article, package file and SVG that masthead reads as XML goes through
:func:`parser`: no entity is resolved (no "billion laughs", no external entity reading a file),
no DTD is loaded, nothing is fetched from the network, and a malformed document is an error,
never "recovered" into something else. A leaf module: lxml and nothing of masthead's, so any
stage may use it (tests/test_safexml.py checks that no other module builds a parser of its own).
"""

from __future__ import annotations

import io

from lxml import etree


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
