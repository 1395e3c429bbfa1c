"""SVG images made safe to copy, and bounded to draw.

An SVG is a program of sorts. :func:`clean` keeps the drawing and drops what could run or
reach out: scripts, event handlers, foreign objects, styles, animations (SMIL can set an
``href`` to ``javascript:`` or a ``fill`` to a remote ``url()``; a printed page shows no
motion, and a reading system need not run any), and every reference to anything but the
file's own elements, read as CSS reads it (``URL(…)``, ``u\\72l(…)``).

:func:`check` then refuses what no reader or print layout can draw in reasonable time: a
number that is not finite or beyond :data:`MAX_NUMBER` (``width="1e400"``), a reference
that loops back to itself, and more than :data:`MAX_DRAWN` elements once references are
expanded: twenty-five levels of ``<g>`` holding two ``<use>`` of the level below are a
1.6 KB file that draws 2^25 rectangles, and WeasyPrint's time grows with the elements drawn.
"""

from __future__ import annotations

import re
from collections import defaultdict

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"

MAX_DRAWN = 100_000  # elements drawn, references expanded: the print layout stays bounded (bench/README.md)
MAX_NUMBER = 1e9  # a coordinate or length; a map in metres needs 1e7

# Removed with everything inside them: what runs, what embeds another document, what animates.
DROPPED = frozenset("script handler foreignObject style iframe set animate animateTransform animateMotion animateColor "
                    "discard".split())
HREFS = (f"{{{XLINK}}}href", "href")
SHAPES = frozenset("circle ellipse line path polyline polygon rect text tspan textPath tref".split())
PAINT = frozenset(("fill", "stroke"))  # inherited: a group's pattern paints each shape inside it
MARKERS = frozenset(("marker", "marker-start", "marker-mid", "marker-end"))  # inherited, drawn at each vertex
_MAY_REACH = re.compile(r"url|src|image-set|\\", re.I)  # else no CSS reading can find a URL
_URL_FRAGMENT = re.compile(r"url\(\s*['\"]?#([^'\")\s]+)", re.I)
_HEX = re.compile(r"#[0-9A-Fa-f]+|url\([^)]*\)", re.I)  # colours and url()s hold no quantity
_NUMBER = re.compile(r"(?<![A-Za-z])(?:inf(?:inity)?|nan)(?![A-Za-z])|[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?[\d_]+)?",
                     re.I)
_LARGE = re.compile(r"\d[eE_]|\d{10}|inf|nan", re.I)  # what a number beyond MAX_NUMBER or not finite holds
_NOT_QUANTITIES = frozenset("id href class lang role systemLanguage requiredFeatures requiredExtensions font-family "
                            "preserveAspectRatio type media target".split())


class SvgError(ValueError):
    """An SVG masthead will not copy or draw; the message is for the user."""


def parse(data: bytes):
    from lxml import etree

    from masthead.runtime import safexml

    try:
        root = safexml.parse(data)
    except etree.XMLSyntaxError as exc:
        raise SvgError(f"not a well-formed SVG ({exc})") from None
    if root.tag != f"{{{SVG}}}svg":
        raise SvgError("not an SVG image (the root element must be <svg> in the SVG namespace)")
    return root


def clean(root):
    """``root`` without what could run or reach out (changed in place, and returned)."""
    ids: set[str] = set()
    stack = [root]  # in document order, never into what was removed
    while stack:
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str) or not tag.startswith(_IN_SVG) or tag[len(_IN_SVG):] in DROPPED:
            parent = element.getparent()  # comments, processing instructions, other namespaces
            if parent is not None:
                parent.remove(element)
            continue
        stack.extend(reversed(element))
        for key, value in list(element.attrib.items()):
            local = key.rsplit("}", 1)[-1]
            if local[:2].lower() == "on" or key == _XML_BASE:
                del element.attrib[key]  # handlers; a base that makes "#x" another file's
            elif key == "id":
                if value in ids or not _is_name(value):
                    del element.attrib[key]  # a reference finds the first one; EPUBCheck wants names
                ids.add(value)
            elif local == "href":
                if not value.startswith("#") or tag == _IN_SVG + "a":
                    # Images and links outside the file are not followed; an image's own links
                    # neither (it is shown by an <img>, and EPUBCheck takes them for links out).
                    del element.attrib[key]
            elif _reaches_out(value, declarations=local == "style"):
                del element.attrib[key]
            elif "url(" in value.lower():
                plain = _plain_urls(value)
                if plain is None:
                    del element.attrib[key]
                else:
                    element.set(key, plain)
    return root


_IN_SVG = f"{{{SVG}}}"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _is_name(value: str) -> bool:
    """Is ``value`` an XML name without a colon (what an id must be)? lxml knows the rules."""
    from lxml import etree

    try:
        etree.Element(value)
    except ValueError:
        return False
    return not any(c in value for c in ":{}")


_ANY_URL = re.compile(r"url\(\s*(['\"]?)(#[^'\"()\s\\]+)\1\s*\)", re.I)


def _plain_urls(value: str) -> str | None:
    """``value`` with each url() of one of the file's elements written ``url(#id)`` (as
    EPUBCheck reads it: ``url( '#id' )`` is a file named ``'``); None if one is written
    otherwise (an escape)."""
    plain = _ANY_URL.sub(lambda m: f"url({m.group(2)})", value)
    return None if len(re.findall(r"url\(", plain, re.I)) != plain.count("url(#") else plain


def _reaches_out(value: str, declarations: bool = False) -> bool:
    """Does a CSS reading of ``value`` (a presentation attribute, or a style attribute's
    declarations) name anything but one of the file's own elements, or name one through an
    escape (which only a CSS reading sees; the drawing's size is counted without it)?
    Escapes and case are read as CSS reads them: ``URL(http:…)`` and ``u\\72l(http:…)`` are url()s."""
    if not _MAY_REACH.search(value):
        return False
    import tinycss2

    nodes = tinycss2.parse_blocks_contents(value) if declarations else tinycss2.parse_component_value_list(value)
    targets: list[str] = []

    def find(node) -> None:
        if node.type == "error":  # a bad url( inside a value (u\RL(javascript:…)): what a reader drops goes
            targets.append("")
            return
        if node.type == "url":
            targets.append(node.value.strip())
            return
        if node.type == "function":
            if node.lower_name in ("url", "src"):
                arguments = [a for a in node.arguments if a.type not in ("whitespace", "comment")]
                one = len(arguments) == 1 and arguments[0].type == "string"
                targets.append(arguments[0].value.strip() if one else "")  # var(…): not known here
                return
            if node.lower_name in ("image-set", "-webkit-image-set", "image", "element", "cross-fade"):
                targets.append("")
                return
        for part in ("value", "content", "arguments", "prelude"):
            children = getattr(node, part, None)
            if isinstance(children, list):
                for child in children:
                    find(child)

    if any(node.type == "error" for node in nodes):
        return True  # a reader drops what it cannot read as declarations: so does this
    for node in nodes:
        find(node)
    return any(not t.startswith("#") for t in targets) or bool(targets and "\\" in value)


def check(root):
    """An :class:`SvgError` for a number out of range, a reference loop, or a drawing of more
    than :data:`MAX_DRAWN` elements once its references are expanded (of a cleaned tree);
    else ``root``."""
    elements = list(root.iter())
    if len(elements) > MAX_DRAWN:
        raise SvgError(f"holds more than {MAX_DRAWN:,} elements; refusing to draw it")
    for element in elements:
        _check_numbers(element)
    _Expansion(elements).check()
    return root


def _check_numbers(element) -> None:
    for key, value in element.attrib.items():
        if key.startswith(("{", "aria-", "data-")) or key in _NOT_QUANTITIES:
            continue
        if not _LARGE.search(value):
            continue  # no exponent, no long run of digits, no inf or nan: nothing to read further
        for token in _NUMBER.findall(_HEX.sub(" ", value)):
            try:
                number = float(token)
            except ValueError:
                continue
            if not abs(number) <= MAX_NUMBER:  # nan and inf too
                raise SvgError(f"<{_local(element)} {key}=\"{_short(value)}\"> (line {element.sourceline}): "
                               f"a number beyond ±{MAX_NUMBER:,.0f}; no drawing needs one")


class _Expansion:
    """How many elements the drawing draws, each reference expanded where it is drawn.

    An element draws itself and its children; a ``<use>`` (any ``href="#id"``) draws its
    target; a ``url(#id)`` (a pattern, a clip path, a mask, a marker) draws the target's
    content for the element naming it: for each vertex, for a marker. ``fill``, ``stroke``
    and the markers are inherited, so a group's ``fill="url(#p)"`` draws ``p`` for every
    shape inside it, and so does a ``<use>``'s for every shape of what it draws, and an
    ancestor's for what a reference draws. Each element has three numbers: ``A`` what it
    draws with nothing inherited, ``P`` the shapes in it (each paints with an inherited
    paint) and ``M`` their vertices (each draws an inherited marker); an inherited paint
    ``p`` and marker ``m`` cost ``A + P·p + M·m``. Counts stop just past MAX_DRAWN: any
    larger number says the same. An overestimate: what a shape sets for itself still counts
    what it would inherit."""

    LIMIT = MAX_DRAWN + 1

    def __init__(self, elements: list):
        self.elements = elements
        position = {id(e): i for i, e in enumerate(elements)}
        self.parent = [position.get(id(e.getparent()), -1) for e in elements]
        self.children = [[position[id(c)] for c in e] for e in elements]
        by_id: dict[str, list[int]] = defaultdict(list)
        for i, element in enumerate(elements):
            if element.get("id"):
                by_id[element.get("id")].append(i)  # a duplicated id: each one counts
        self.hrefs, self.paint, self.markers, self.other = [], [], [], []
        for element in elements:
            hrefs: list[int] = []
            paint: list[int] = []
            markers: list[int] = []
            other: list[int] = []
            for key in HREFS:
                value = element.get(key)
                if value and value.startswith("#"):
                    hrefs += by_id.get(value[1:], [])
            for prop, value in _references(element):
                targets = [t for name in _URL_FRAGMENT.findall(value) for t in by_id.get(name, [])]
                (paint if prop in PAINT else markers if prop in MARKERS else other).extend(targets)
            self.hrefs.append(hrefs)
            self.paint.append(paint)
            self.markers.append(markers)
            self.other.append(other)
        self.shape = [_local(e) in SHAPES for e in elements]
        self.vertices = [max(1, len(_NUMBER.findall(e.get("d", "") + " " + e.get("points", "")))) if s else 0
                         for e, s in zip(elements, self.shape, strict=True)]

    def check(self) -> None:
        everything = range(len(self.elements))  # a reference may name any element
        shapes = self._walk(everything, lambda i: self.children[i] + self.hrefs[i], self._shapes)
        self.P = {i: p for i, (p, _) in shapes.items()}
        self.M = {i: m for i, (_, m) in shapes.items()}
        costs = self._walk([("A", 0)], self._cost_needs, self._cost)
        if costs[("A", 0)] > MAX_DRAWN:
            raise SvgError(f"draws more than {MAX_DRAWN:,} elements once its <use> and url(#…) references are "
                           "expanded; refusing to draw it")

    def _shapes(self, i: int, got: dict) -> tuple[int, int]:
        p, m = int(self.shape[i]), self.vertices[i]
        for j in self.children[i] + self.hrefs[i]:
            p, m = p + got[j][0], m + got[j][1]
        return min(p, self.LIMIT), min(m, self.LIMIT)

    def _inherited(self, i: int) -> tuple[list[int], list[int]]:
        """The paints and markers ``i``'s ancestors name, if anything in ``i`` would inherit them."""
        paint, markers = [], []
        ancestor = self.parent[i]
        while ancestor >= 0:
            if self.P[i]:
                paint += self.paint[ancestor]
            if self.M[i]:
                markers += self.markers[ancestor]
            ancestor = self.parent[ancestor]
        return paint, markers

    def _cost_needs(self, node: tuple[str, int]) -> list[tuple[str, int]]:
        kind, i = node
        if kind == "R":  # i, drawn for a reference: with what its ancestors' paints and markers draw
            paint, markers = self._inherited(i)
            return [("A", i)] + [("R", j) for j in paint + markers]
        return ([("A", c) for c in self.children[i]]
                + [("R", j) for j in self.hrefs[i] + self.paint[i] + self.markers[i] + self.other[i]])

    def _cost(self, node: tuple[str, int], got: dict) -> int:
        kind, i = node
        if kind == "R":
            paint, markers = self._inherited(i)
            total = got[("A", i)] + self.P[i] * sum(got[("R", j)] for j in paint) \
                + self.M[i] * sum(got[("R", j)] for j in markers)
            return min(total, self.LIMIT)
        p = min(sum(got[("R", j)] for j in self.paint[i]), self.LIMIT)
        m = min(sum(got[("R", j)] for j in self.markers[i]), self.LIMIT)
        total = 1 + sum(got[("R", j)] for j in self.other[i])
        if self.shape[i]:
            total += p + self.vertices[i] * m
        for j in self.children[i]:
            total += got[("A", j)] + self.P[j] * p + self.M[j] * m
        for j in self.hrefs[i]:
            total += got[("R", j)] + self.P[j] * p + self.M[j] * m
        return min(total, self.LIMIT)

    def _walk(self, starts, needs, value) -> dict:
        """``value(node, got)`` for each node reachable from ``starts``, each after the nodes it
        needs (an explicit stack: a chain of references may be longer than Python's recursion
        limit); an :class:`SvgError` on a loop."""
        got: dict = {}
        for start in starts:
            if start in got:
                continue
            on_path = {start}
            stack = [(start, iter(needs(start)))]
            while stack:
                node, pending = stack[-1]
                for need in pending:
                    if need in got:
                        continue
                    if need in on_path:
                        element = self.elements[need[1] if isinstance(need, tuple) else need]
                        raise SvgError(f"<{_local(element)}> (line {element.sourceline}) is drawn inside itself "
                                       "through a reference (<use> or url(#…)); refusing to draw it")
                    on_path.add(need)
                    stack.append((need, iter(needs(need))))
                    break
                else:
                    got[node] = value(node, got)
                    on_path.discard(node)
                    stack.pop()
        return got


def _references(element):
    """(property, value) of each url(#…) the element names: attributes and style declarations."""
    for key, value in element.attrib.items():
        if key == "style":
            for declaration in value.split(";"):
                prop, _, text = declaration.partition(":")
                if "url" in text.lower():
                    yield prop.strip().lower(), text
        elif "url" in value.lower():
            yield key, value


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _short(value: str) -> str:
    value = re.sub(r"[\x00-\x1f\x7f]", " ", value)
    return value if len(value) <= 40 else value[:40] + "…"
