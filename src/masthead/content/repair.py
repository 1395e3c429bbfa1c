"""Mend a clean article tree where it breaks XHTML's content model, as a browser would read it.

The sanitizer (sanitize.py) keeps allowed elements wherever they stand, and an article written
as XHTML reaches it exactly as written: a list inside a paragraph, a stray ``<li>``, a caption
after the rows, a cell outside any row. A browser forgives all of that; EPUBCheck refuses the
book (RSC-005), and some e-readers draw it badly. This puts every element where the HTML
content model wants it, keeping all the text and, where it can, the markup:

- a block inside a paragraph or a heading splits it there, as an HTML parser closes ``<p>``;
  inline markup around a block (``<em><p>…</p></em>``) is carried into the block;
- lists hold only items (stray content joins the item before it), definition lists only terms
  and definitions, in pairs; stray items, terms, rows and cells get the list or table they need;
- a table holds caption, column groups, head, bodies and foot, in that order; what else it
  holds is set before it (HTML's "foster parenting");
- a caption, summary or figcaption away from its place becomes a ``<div>``, ``rt``/``rp``
  outside ruby a ``<span>``; a link in a link, a definition in a definition, a header in a
  header give way to their content;
- ``<time>`` without a valid date, ``<data>`` without a value and ``<bdo>`` without a direction
  become ``<span>``; ``headers`` and ``aria-*`` references to ids that are not there go.

What the content model allows is in htmlrules.py, which also says whether a tree needs this.
"""

from __future__ import annotations

import itertools

from lxml import etree

from masthead.content.htmlrules import (
    BLOCK,
    HEADINGS,
    NS,
    PARENTS,
    PHRASING_ONLY,
    RENAMED_AWAY,
    SPLIT,
    TRANSPARENT,
    broken,
    grouped,
    heading_group,
    valid_datetime,
)

_CELLS = ("td", "th")
_ROW_GROUPS = ("thead", "tbody", "tfoot")
_REFERENCES = etree.XPath(".//*[@headers or @aria-describedby or @aria-labelledby]")
_HEAD_ELEMENTS = frozenset("title meta link style script base noscript template".split())


def repair(tree) -> bool:
    """Mend ``tree`` (a ``<div>`` holding an article, flow content) in place; True if it needed it."""
    if not broken(tree):
        return False
    _fill(tree, _children(tree, frozenset({"div"}), "div"))
    return True


def references(tree) -> None:
    """Drop ``headers`` that name no header cell of the table, and ``aria-describedby`` or
    ``aria-labelledby`` that name no element of the article (EPUBCheck refuses both)."""
    found = _REFERENCES(tree)
    if not found:
        return
    ids = {e.get("id") for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
    cells_of: dict = {}  # a table → its header cells' ids, gathered once (per cell was quadratic)
    for element in found:
        for attr in ("aria-describedby", "aria-labelledby"):
            value = element.get(attr)
            if value is not None and not (value.split() and all(token in ids for token in value.split())):
                del element.attrib[attr]
        headers = element.get("headers")
        if headers is not None:
            table = next(element.iterancestors(NS + "table"), None)
            if table not in cells_of:
                cells_of[table] = {th.get("id") for th in table.iter(NS + "th")} if table is not None else set()
            cells = cells_of[table]
            if not (headers.split() and all(token in cells for token in headers.split())):
                del element.attrib["headers"]


def move_head_strays(document) -> None:
    """Move what libxml2's HTML parser left in ``<head>`` into ``<body>``, as a browser reads it.

    That parser knows HTML 4 only: after a ``<title>``, an HTML5 element (``<section>``,
    ``<figure>``, ``<header>`` …) stays in the head, with what follows it up to the first
    element it knows, and the article lost it all."""
    head = document.find("head")
    if head is None:
        return
    children = list(head)
    first = next((i for i, c in enumerate(children) if isinstance(c.tag, str) and c.tag.lower() not in _HEAD_ELEMENTS), None)
    if first is None:
        return
    body = document.find("body")
    if body is None:
        body = etree.SubElement(document, "body")
    moved = children[first:]
    lead, body.text = body.text, None
    for i, element in enumerate(moved):
        body.insert(i, element)  # its tail goes with it
    if lead:
        moved[-1].tail = (moved[-1].tail or "") + lead


# ------------------------------------------------------------------------------ the walk


def _name(element) -> str:
    return element.tag[len(NS):]


def _element(name: str, like=None):
    made = etree.Element(NS + name)
    if like is not None:
        for key, value in like.attrib.items():
            if key != "id":
                made.set(key, value)
    return made


def _take(element) -> list:
    """The element's content as a list of strings and elements, taken out of it."""
    items: list = [element.text] if element.text else []
    element.text = None
    for child in list(element):
        tail, child.tail = child.tail, None
        element.remove(child)
        items.append(child)
        if tail:
            items.append(tail)
    return items


def _last(element):
    """The element's last child, or None: len() counts every child, so a test of it for each
    item added was quadratic (16,000 paragraphs joined into one list item: minutes)."""
    return next(element.iterchildren(reversed=True), None)


def _fill(element, items: list) -> None:
    last = _last(element)
    for text, run in itertools.groupby(items, key=lambda item: isinstance(item, str)):
        if not text:
            for item in run:
                element.append(item)
                last = item
        elif last is None:  # a run of strings joined first: added one by one, the text grew quadratically
            element.text = (element.text or "") + "".join(run)
        else:
            last.tail = (last.tail or "") + "".join(run)


def _join(element, item) -> None:
    """Add a stray to the item before it; text gets a space, so two words do not become one."""
    if isinstance(item, str):
        last = _last(element)
        before = (element.text if last is None else last.tail) or ""
        if before and not before[-1].isspace() and not item[0].isspace():
            item = " " + item
    _fill(element, [item])


def _blank(item) -> bool:
    return isinstance(item, str) and not item.strip()


def _is(item, *names: str) -> bool:
    return not isinstance(item, str) and _name(item) in names


def _is_block(item) -> bool:
    if isinstance(item, str):
        return False
    name = _name(item)
    return name in BLOCK or (name in TRANSPARENT and any(_is_block(child) for child in item))


def _children(element, inside: frozenset, name: str, placed_as: str | None = None) -> list:
    """The element's content, each child mended, strays given a container or a new name.

    ``placed_as`` is "dl" for a ``<div>`` grouping a term with its definitions."""
    items: list = []
    for item in _take(element):
        if isinstance(item, str):
            items.append(item)
        else:
            items.extend(_mend(item, inside | {_name(item)}, inside, name))
    return _place(items, placed_as or name)


def _mend(element, inside: frozenset, above: frozenset, parent: str) -> list:
    """What stands in the element's place once it and everything in it are mended."""
    name = _name(element)
    if name in ("a", "dfn") and name in above:  # no link in a link, no definition in a definition
        return _children(element, inside, parent)
    if (name in ("header", "footer") and above & {"header", "footer", "address"}) or (name == "address" and "address" in above):
        element.tag, name = NS + "div", "div"
    if name == "details" and "a" in above:  # nothing interactive inside a link
        element.tag, name = NS + "div", "div"
    if name == "li" and parent != "ol":
        element.attrib.pop("value", None)  # a number only an <ol> counts
    items = _children(element, inside, name, "dl" if name == "div" and parent == "dl" else None)
    trailing: list = []
    if name in ("ul", "ol"):
        items = _list(items)
    elif name == "dl":
        items = _definitions(items)
    elif name in _ROW_GROUPS:
        items = _rows(items)
    elif name == "tr":
        items = _cells(items)
    elif name == "figure":
        items = _figure(items)
    elif name == "ruby":
        items, after = _ruby(items)
        if after is None:  # no annotation: a plain span
            element.tag, name = NS + "span", "span"
        trailing = after or []  # what follows the last annotation stands after the ruby
    elif name == "summary" and any(_is_block(i) and not _is(i, *HEADINGS) for i in items):
        items = ["".join(text for i in items for text in ([i] if isinstance(i, str) else i.itertext()))]
    elif name == "details":
        items = _details(items)
        if not items or not _is(items[0], "summary"):  # no summary to open it by: show it all
            element.tag, name = NS + "div", "div"
    elif name == "hgroup" and not heading_group(items):
        element.tag, name = NS + "div", "div"
    elif name == "table":
        return _table(element, items)
    _fill(element, items)
    _attributes(element, name)
    name = _name(element)  # a <time>, <data> or <bdo> may have become a <span>
    if name in PHRASING_ONLY and any(_is_block(item) for item in items):
        return _split(element, name) + trailing
    return [element, *trailing]


def _attributes(element, name: str) -> None:
    if name == "time" and not valid_datetime(element.get("datetime", "")):
        element.attrib.pop("datetime", None)  # without it, the content must be the date, as text
        date = "".join(element.itertext()).strip()
        if not valid_datetime(date):
            element.tag = NS + "span"
        elif len(element):
            element.set("datetime", date)
    elif (name == "data" and element.get("value") is None) or (name == "bdo" and element.get("dir") not in ("ltr", "rtl")):
        element.tag = NS + "span"
        element.attrib.pop("value", None)


def _place(items: list, parent: str) -> list:
    """Strays among the items: consecutive ones share one new container; some are renamed."""
    out: list = []
    group: list = []  # strays waiting for their container, with the blanks between them
    kind = ""
    for item in [*items, None]:
        if item is not None and _blank(item) and group:
            group.append(item)
            continue
        stray = item is not None and not isinstance(item, str) and _name(item) in PARENTS \
            and parent not in PARENTS[_name(item)][0]
        wanted = PARENTS[_name(item)][1] if stray else ""
        if group and wanted != kind:
            trailing: list = []  # like group: text and elements
            while _blank(group[-1]):
                trailing.insert(0, group.pop())
            out.extend(_contain(kind, group) + trailing)
            group, kind = [], ""
        if item is None:
            break
        if stray:
            group.append(item)
            kind = wanted
            continue
        if not isinstance(item, str) and _name(item) in RENAMED_AWAY and parent != RENAMED_AWAY[_name(item)][0]:
            item.tag = NS + RENAMED_AWAY[_name(item)][1]
        elif _is(item, "col") and parent not in ("colgroup", "table"):
            continue  # a column outside a table: nothing to show
        elif _is(item, "colgroup") and parent != "table":
            out.extend(c for c in _take(item) if not _is(c, "col"))
            continue
        out.append(item)
    return out


def _contain(kind: str, strays: list) -> list:
    container = _element(kind)
    if kind == "ul":
        _fill(container, strays)
        return [container]
    if kind == "dl":
        _fill(container, _definitions(strays))
        return [container]
    return _table(container, strays)


def _gather(items: list, kept: tuple, made: str, into_kept: bool) -> list:
    """Only ``kept`` elements: other content joins the one before it (``into_kept``) or the one
    made for the strays before it, or starts a new ``made`` element."""
    out: list = []
    last = None
    for item in items:
        if _is(item, *kept):
            out.append(item)
            last = item if into_kept else None
        elif _blank(item):
            out.append(item)
        else:
            if last is None:
                last = _element(made)
                out.append(last)
            _join(last, item)
    return out


def _list(items: list) -> list:
    return _gather(items, ("li",), "li", True)  # more of the item before: its second paragraph


def _cells(items: list) -> list:
    return _gather(items, _CELLS, "td", False)  # a cell of its own, as a browser draws it


def _definitions(items: list) -> list:
    """Terms and definitions, a term first and a definition last; other content joins the one before."""
    if any(_is(i, "div") for i in items) and all(_is(i, "div") and grouped(i) for i in items if not _blank(i)):
        return items  # each term with its definitions in a <div>, as HTML allows
    flat: list = []
    for item in items:
        flat.extend(_take(item) if _is(item, "div") else [item])
    out: list = []
    last = None
    for item in flat:
        if _is(item, "dt", "dd"):
            if _is(item, "dd") and last is None:
                out.append(_element("dt"))  # a definition needs a term before it
            out.append(item)
            last = item
        elif _blank(item):
            out.append(item)
        else:
            if last is None:
                out.append(_element("dt"))
                last = _element("dd")
                out.append(last)
            _join(last, item)
    if last is not None and _is(last, "dt"):
        out.append(_element("dd"))  # …and a term a definition after it
    return out


def _rows(items: list) -> list:
    out: list = []
    row = None
    for item in items:
        if _is(item, "tr"):
            out.append(item)
            row = None
        elif _blank(item):
            continue
        else:
            if row is None:
                row = _element("tr")
                out.append(row)
            _fill(row, _cells([item]) if not _is(item, *_CELLS) else [item])
    return out


def _table(table, items: list) -> list:
    """caption?, colgroup*, thead?, (tbody* | tr*), tfoot?; anything else is set before the table."""
    fostered: list = []
    caption = thead = tfoot = None
    colgroups: list = []
    body: list = []  # tbody elements and rows
    made: list = []  # rows made here for loose cells, which the next loose cell joins
    for item in items:
        if _blank(item):
            continue
        name = "" if isinstance(item, str) else _name(item)
        if name == "caption" and caption is None and next(item.iter(NS + "table"), None) is None:
            caption = item
        elif name == "caption":  # a second caption, or one holding a table (flow content, no table)
            item.tag = NS + "div"
            fostered.append(item)
        elif name in ("colgroup", "col"):
            group = item if name == "colgroup" else _element("colgroup")
            if name == "col":
                group.append(item)
            else:
                content = _take(item)
                fostered.extend(c for c in content if not _is(c, "col") and not _blank(c))
                _fill(group, [c for c in content if _is(c, "col")])
                if len(group):
                    group.attrib.pop("span", None)  # the columns count themselves
            colgroups.append(group)
        elif name == "thead" and thead is None:
            thead = item
        elif name == "tfoot" and tfoot is None:
            tfoot = item
        elif name in _ROW_GROUPS:
            item.tag = NS + "tbody"  # a second head or foot
            body.append(item)
        elif name in _CELLS and body and any(body[-1] is row for row in made):
            body[-1].append(item)
        elif name in _CELLS or name == "tr":
            row = item if name == "tr" else _element("tr")
            if name in _CELLS:
                row.append(item)
                made.append(row)
            body.append(row)
        else:
            fostered.append(item)
    if thead is not None or tfoot is not None or any(_is(b, "tbody") for b in body):
        grouped: list = []  # rows beside row groups go into a body of their own
        loose = None
        for item in body:
            if _is(item, "tr"):
                if loose is None:
                    loose = _element("tbody")
                    grouped.append(loose)
                loose.append(item)
            else:
                grouped.append(item)
                loose = None
        body = grouped
    _fill(table, [c for c in [caption, *colgroups, thead, *body, tfoot] if c is not None])
    return [*fostered, table]


def _figure(items: list) -> list:
    """One figcaption, first or last; any other becomes a <div>. Beside a caption, text needs a <p>."""
    elements = [i for i in items if not isinstance(i, str)]
    keep = elements[0] if elements and _is(elements[0], "figcaption") else \
        elements[-1] if elements and _is(elements[-1], "figcaption") else None
    for element in elements:
        if _is(element, "figcaption") and element is not keep:
            element.tag = NS + "div"
    if keep is None:
        return items
    out: list = []
    for item in items:
        if isinstance(item, str) and item.strip():
            p = _element("p")
            p.text = item
            item = p
        if item is not keep:
            out.append(item)
    return [keep, *out] if keep is elements[0] else [*out, keep]  # the caption still first, or last


def _ruby(items: list) -> tuple[list, list | None]:
    """(content, what follows the last annotation); None when there is no <rt> at all."""
    last = max((n for n, i in enumerate(items) if _is(i, "rt", "rp")), default=None)
    first = next((n for n, i in enumerate(items) if _is(i, "rt", "rp")), None)
    if last is None or not any(_is(i, "rt") for i in items) or all(_blank(i) for i in items[:first]):
        for item in items:  # no base text, or nothing to annotate it with: plain text
            if _is(item, "rt", "rp"):
                item.tag = NS + "span"
        return items, None
    after = items[last + 1:]
    return items[: last + 1], after if any(not _blank(i) for i in after) else []


def _details(items: list) -> list:
    """The first summary leads; any other becomes a <div>."""
    summaries = [i for i in items if _is(i, "summary")]
    if not summaries:
        return items
    for other in summaries[1:]:
        other.tag = NS + "div"
    first = summaries[0]
    items = [i for i in items if i is not first]
    return [first, *items]


def _split(element, name: str) -> list:
    """A phrasing-only element holding blocks: runs of inline content each get a copy of it."""
    items = _take(element)
    out: list = []
    run: list = []
    first = True

    def flush() -> None:
        nonlocal first, run
        if any(not _blank(i) for i in run):
            copy = element if first else _element(name, element)
            first = False
            after: list = []
            if name == "ruby":  # each part keeps its annotations; a part without any is a span
                run, rest = _ruby(run)
                after = rest or []
                if rest is None:
                    copy.tag = NS + "span"
            _fill(copy, run)
            out.extend([copy, *after])
        else:
            out.extend(run)
        run = []

    for item in items:
        if _is_block(item):
            flush()
            if name not in SPLIT and _is(item, *SPLIT) and len(item) + bool(item.text):
                inner = _element("span" if name in ("rt", "rp", "ruby") else name, element)  # <em><p>x</p></em> → <p><em>x</em></p>
                _fill(inner, _take(item))
                item.append(inner)
            out.append(item)
        else:
            run.append(item)
    flush()
    if first and element.get("id"):  # no copy kept the id: hand it to the first element
        target = next((i for i in out if not isinstance(i, str) and not i.get("id")), None)
        if target is not None:
            target.set("id", element.get("id"))
    return out
