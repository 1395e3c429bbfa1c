"""What may pass from an article into an output: an allow-list, applied while copying the tree.

Articles come from anywhere. :func:`clean` walks a parsed article (from the XML parser, with
namespaces, or from the HTML parser, without) and builds a *new* XHTML tree holding only
allowed elements and attributes: nothing unknown is carried over by accident. Scripts, styles,
frames, forms, embedded objects, ``meta``/``base``/``link`` and event handlers disappear with
their content; unknown wrappers (``font``, ``center``, custom tags) give way to their children.
URLs go through a callback owned by the content stage, which knows the issue's files.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from masthead.runtime.safexml import OPS, XHTML, XML, split_tag, xml_text

ALLOWED = frozenset("""
a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup data dd del
details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i img ins kbd
li mark ol p pre q rp rt ruby s samp section small span strong sub summary sup table tbody td tfoot
th thead time tr u ul var wbr
""".split())
# Removed together with everything inside them.
DROPPED = frozenset("""
script style iframe frame frameset object embed applet input button select textarea option
optgroup datalist output template link meta base title head audio video source track
canvas svg math param portal dialog map area slot
""".split())
# (A <form> or <noscript> gives way to its content, as unknown wrappers do: a form's paragraphs
# and labels are text a reader sees, and an e-book runs no script, so <noscript> is what shows.)
# Of those, the ones that carry what a reader was meant to see: their removal is worth a warning.
SHOWN = frozenset("audio video canvas svg math object embed iframe".split())
# Elements that never have content. libxml2's HTML parser does not know some of them
# (embed, source, track, wbr …) and nests what follows inside them: that text is theirs no more.
VOID = frozenset("area base br col embed hr img input keygen link meta param source track wbr".split())
RENAMED = {"main": "div", "nav": "div", "center": "div", "strike": "s", "tt": "code", "big": "span", "font": "span"}
GLOBAL_ATTRS = frozenset({"id", "class", "title", "lang", "dir", "role"})
ELEMENT_ATTRS = {
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"}, "del": {"cite", "datetime"}, "ins": {"cite", "datetime"},
    "data": {"value"}, "blockquote": {"cite"}, "q": {"cite"},
    "details": {"open"},
}
URL_ATTRS = {("a", "href"), ("img", "src"), ("blockquote", "cite"), ("q", "cite"), ("del", "cite"), ("ins", "cite")}


def _integer(low: int, high: int | None = None) -> Callable[[str], bool]:
    return lambda v: bool(re.fullmatch(r"-?[0-9]{1,9}", v)) and int(v) >= low and (high is None or int(v) <= high)


def _date_time(value: str) -> bool:
    from masthead.content.htmlrules import (
        valid_date_time,  # there with <time>'s (it imports this module)
    )

    return valid_date_time(value)


_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*").fullmatch
# What HTML allows each value to be; EPUBCheck refuses the book over anything else.
VALUES: dict = {
    "colspan": _integer(1, 1000), "rowspan": _integer(0, 65534), "span": _integer(1, 1000),
    "start": _integer(-(10 ** 9)), ("li", "value"): _integer(-(10 ** 9)),
    "width": _integer(0), "height": _integer(0),
    ("ol", "type"): {"1", "a", "A", "i", "I"}.__contains__,
    "dir": {"ltr", "rtl", "auto"}.__contains__,
    "scope": {"row", "col", "rowgroup", "colgroup"}.__contains__,
    "lang": lambda v: v == "" or bool(_LANGUAGE(v)), "hreflang": lambda v: bool(_LANGUAGE(v)),
    # <del>/<ins>: a date, or a date and time (<time> takes more, and is checked in htmlrules.py)
    ("del", "datetime"): _date_time, ("ins", "datetime"): _date_time,
}
BOOLEAN_ATTRS = frozenset({"reversed", "open"})
# The ARIA attributes an article may carry: a name, a description, hidden. Widget states and
# properties (aria-level, aria-checked …) need roles and scripts an e-book does not have.
ARIA_ATTRS = {"aria-label": bool, "aria-labelledby": bool, "aria-describedby": bool,
              "aria-hidden": {"true", "false"}.__contains__}
# An id keeps every character HTML allows in one (any but ASCII whitespace), which EPUBCheck
# takes too: "/", ":", ".", a leading digit, any letter (Standard Ebooks' "entry-1661-7-18/1661-7-23").
ID_SPACE = re.compile(r"[\t\n\f\r ]")


def id_value(value: str) -> str:
    """An id as the source writes it, less whitespace at its ends. Whitespace within (which HTML
    forbids in an id) is left for content/shape.py to replace once the article's every id is
    known, so that "x y" becomes an id no other element has ("x-y" unless one does)."""
    return xml_text(value).strip(" \t\n\f\r")

UrlRewriter = Callable[[str, str, str], "str | None"]  # (element, attribute, url) → url or None


# </body>, </html> or </head> would end libxml2's reading of a fragment, and the rest with it.
_PAGE_END_TAGS = re.compile(r"</\s*(?:body|html|head)\s*>", re.I)


def fragment(html: str):
    """The ``<div>`` that lxml.html.fragment_fromstring(html, create_parent="div") makes, for
    any text: that one takes a text starting with "<!DOCTYPE" or "<html" for a whole page, and
    fails on it ("Document is empty", "too many bodies")."""
    import lxml.html

    document = lxml.html.document_fromstring(f"<html><body>{_PAGE_END_TAGS.sub('', html)}</body></html>")
    body = document.find("body")
    div = lxml.html.Element("div")
    if body is not None:
        div.text = body.text if body.text and body.text.strip() else None  # as lxml's: no leading blank
        div.extend(body)
    return div


def clean(source, rewrite_url: UrlRewriter, prefixes: dict[str, str], used_prefixes: set[str],
          dropped: list | None = None):
    """A new ``<div>`` in the XHTML namespace holding the clean copy of ``source``'s children.

    ``prefixes`` are the epub:type vocabularies declared by the source (name → URI);
    tokens with an undeclared prefix are dropped, and the prefixes kept are added to
    ``used_prefixes`` so the document that carries them can declare them. ``dropped`` hears
    (name, source line) of each removed element of SHOWN (a video, inline SVG, MathML …).
    (``picture`` is unwrapped: its ``img`` stays, its ``source`` alternatives go.)
    """
    out = etree.Element(f"{{{XHTML}}}div", nsmap={None: XHTML, "epub": OPS})
    out.text = xml_text(source.text)
    for child in source:
        _copy(child, out, rewrite_url, prefixes, used_prefixes, dropped)
    return out


class TooDeep(Exception):
    """Elements nested deeper than MAX_DEPTH (the source line of the first one too deep)."""


# No article nests a hundred elements deep; past that, WeasyPrint's layout runs out of Python's
# stack (a RecursionError near 250) and libxml2 refuses the page at 256.
MAX_DEPTH = 100


def _copy(element, parent, rewrite_url, prefixes, used_prefixes, dropped=None, depth=1) -> None:
    if depth > MAX_DEPTH:
        raise TooDeep(getattr(element, "sourceline", None))
    namespace, name = split_tag(element.tag)
    foreign = namespace not in (None, XHTML)
    if name in VOID and (len(element) or (element.text or "").strip()):
        # A void element with content was misparsed: its "content" follows it in the source.
        bare = etree.Element(element.tag, dict(element.attrib))
        bare.tail = None
        _copy(bare, parent, rewrite_url, prefixes, used_prefixes, dropped, depth + 1)
        _append_text(parent, element.text)
        for child in element:
            _copy(child, parent, rewrite_url, prefixes, used_prefixes, dropped, depth + 1)
        _append_text(parent, element.tail)
        return
    if name is None or name in DROPPED or foreign:
        # The element goes, its tail (text after it) stays.
        if dropped is not None and (name in SHOWN or (foreign and name in ("svg", "math"))):
            dropped.append((name, getattr(element, "sourceline", None)))
        _append_text(parent, element.tail)
        return
    name = RENAMED.get(name, name)
    if name not in ALLOWED:
        _append_text(parent, element.text)  # unwrap: keep the children
        for child in element:
            _copy(child, parent, rewrite_url, prefixes, used_prefixes, dropped, depth + 1)
        _append_text(parent, element.tail)
        return
    copy = etree.SubElement(parent, f"{{{XHTML}}}{name}")
    for key, value in element.attrib.items():
        attr = _attribute(name, key, value, rewrite_url, prefixes, used_prefixes)
        if attr is not None:
            copy.set(*attr)
    copy.text = xml_text(element.text)
    for child in element:
        _copy(child, copy, rewrite_url, prefixes, used_prefixes, dropped, depth + 1)
    copy.tail = xml_text(element.tail)


def _attribute(element: str, key: str, value: str, rewrite_url, prefixes, used_prefixes):
    qname = etree.QName(key) if key.startswith("{") else None
    namespace, attr = (qname.namespace, qname.localname) if qname else (None, key.lower())
    value = xml_text(value) or ""
    if attr == "style" and element in ("td", "th"):
        # Markdown tables align columns with style="text-align: right"; keep that as a class.
        match = re.search(r"text-align:\s*(left|right|center)", value)
        return ("class", f"align-{match.group(1)}") if match else None
    if attr.startswith("on") or attr == "style":
        return None
    if namespace == OPS or attr == "epub:type":
        if attr not in ("type", "epub:type"):
            return None
        tokens = [t for t in value.split() if _vocab_ok(t, prefixes, used_prefixes)]
        return (f"{{{OPS}}}type", " ".join(tokens)) if tokens else None
    if namespace == XML or attr == "xml:lang":
        return ("lang", value.strip()) if attr in ("lang", "xml:lang") and VALUES["lang"](value.strip()) else None
    if namespace is not None:
        return None
    if attr.startswith("aria-"):
        check = ARIA_ATTRS.get(attr)
        return (attr, value) if check is not None and check(value) else None
    if attr not in GLOBAL_ATTRS and attr not in ELEMENT_ATTRS.get(element, ()):
        return None
    if attr in BOOLEAN_ATTRS:
        return attr, attr  # present is true, whatever it says ("no" too, as browsers read it)
    check = VALUES.get(attr) or VALUES.get((element, attr))
    if check is not None:
        value = value.strip()
        return (attr, value) if check(value) else None  # a value the reader would ignore goes
    if attr == "id":
        value = id_value(value)
        return ("id", value) if value else None
    if (element, attr) in URL_ATTRS:
        url = rewrite_url(element, attr, value)
        return None if url is None else (attr, url)
    return attr, value


_TERM = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_.-]*:)?[A-Za-z0-9_.-]+")  # an NMTOKEN, its prefix an NCName


def _vocab_ok(token: str, prefixes: dict[str, str], used_prefixes: set[str]) -> bool:
    if not _TERM.fullmatch(token):
        return False
    if ":" not in token:
        return True
    prefix = token.split(":", 1)[0]
    if prefix in prefixes:
        used_prefixes.add(prefix)
        return True
    return False


def _append_text(parent, value: str | None) -> None:
    value = xml_text(value)
    if not value:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + value
    else:
        parent.text = (parent.text or "") + value


_SWALLOWING = re.compile(r"<!--|-->|<(script|style)\b|</(script|style)\s*>", re.I)


def never_closed(text: str) -> tuple[int, str] | None:
    """(offset, "<!--" or "<script>"/"<style>") of a comment, script or style opened and never
    closed: an HTML parser takes the rest of the text into it, and the article loses it all."""
    waiting, start = None, 0
    for match in _SWALLOWING.finditer(text):
        token = match.group(0).lower()
        if waiting is None:
            if token == "<!--":
                waiting, start = "-->", match.start()
            elif match.group(1):
                waiting, start = f"</{match.group(1).lower()}", match.start()
        elif token.startswith(waiting):
            waiting = None
    if waiting is None:
        return None
    return start, "<!--" if waiting == "-->" else f"<{waiting[2:]}>"


def swallowed_message(what: str) -> str:
    if what == "<!--":
        return "an HTML comment opened here is never closed with -->: everything after it is inside it, and left out"
    return f"{what} opened here is never closed: everything after it is taken for its code, and left out"
