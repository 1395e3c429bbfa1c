"""Articles too big for e-readers cut into several XHTML files at section boundaries.

Kobo's and Adobe's reading systems (ADE, and the RMSDK in many dedicated readers) and older
Kindles slow down sharply, lose their place or run out of memory on XHTML files above about
300 KB, so the long-standing advice is to keep each file below that. :func:`split` cuts every
EPUB article document larger than the limit into parts ``name.xhtml``, ``name-2.xhtml`` … in
reading order, each a complete document with the article's ``<head>`` and ``<html>``/``<body>``
attributes, cut where a section (``<h2>``) begins; at an ``<h3>``, or between paragraphs, only
inside a section too big for one file; and a block too big for one file by itself (a list of
thousands of endnotes, a vast table) is first cut into blocks of its own kind (:class:`_Divider`:
lists at items, tables at rows, ``<dl>`` at term groups, ``<pre>`` at lines). The article's header stays in the first part, "More
from" in the last; each footnote goes to the part that holds its reference, because pop-up
notes (Kobo, Apple Books) must be in the same file; every link in the issue to an id that
moved, the page list and the table of contents follow. Like pagemarks.py this transforms
rendered documents; it runs no templates and reads no input files.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from lxml import etree

from masthead.model.documents import Document, Kind, RenderedIssue, TocEntry
from masthead.render.ending import continuation_attributes
from masthead.runtime.safexml import OPS, XHTML, escape_text, parse_document

LIMIT = 300_000  # bytes of XHTML per file
# How good a place to cut before a block is: where an h2 section starts, an h3 one, before
# any other block, or never (right after a heading, which would end a file on its own).
H2, H3, BLOCK, NEVER = 2, 3, 4, 5
# What a link may grow by when it comes to name a part: "x.xhtml#a" → "x-12.xhtml#a" (or
# "x-12-2.xhtml#a" when another document has the name); "#a" grows by a whole part name.
LINK_GROWTH = 8
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'
EPUB_TYPE = f"{{{OPS}}}type"
HREFS = ("href", "{http://www.w3.org/1999/xlink}href")
_HEADING = re.compile(r"h([1-6])")

Parts = list[tuple[str, etree._ElementTree]]  # (file name, document) in reading order


def split(issue: RenderedIssue, limit: int = LIMIT, origins: dict[str, str] | None = None,
          oversized: list[tuple[str, str, str | None]] | None = None) -> RenderedIssue:
    """The issue with each EPUB article over ``limit`` bytes cut into parts; the same object
    when no article is that big. ``origins`` hears each part's name → its article's document;
    ``oversized`` each (article document, element, its id) over the limit with nowhere to cut it."""
    big = {d.name for d in issue.documents if d.kind == Kind.ARTICLE and len(d.content) > limit}
    if not big:
        return issue
    taken = {d.name for d in issue.documents} | {r.name for r in issue.resources}
    cut: dict[str, Parts] = {}
    for document in issue.documents:
        if document.name in big:
            parts = _cut(document, limit, taken, big, oversized)
            if len(parts) > 1:  # else nothing to cut at: the document stays as it was
                cut[document.name] = parts
                taken |= {name for name, _ in parts}
                if origins is not None:
                    origins.update((name, document.name) for name, _ in parts)
    if not cut:
        return issue
    where = {name: _ids(parts) for name, parts in cut.items()}  # document → {id: the part holding it}
    documents: list[Document] = []
    for document in issue.documents:
        if document.name in cut:
            for name, tree in cut[document.name]:
                _relink(tree, where, document.name, name)
                documents.append(document._replace(name=name, content=_serialize(tree)))
        else:
            documents.append(_relinked(document, where))
    page_list = tuple((folio, _target(href, where) or href) for folio, href in issue.page_list)
    return issue._replace(documents=tuple(documents), toc=_toc(issue.toc, where), page_list=page_list)


# ---------------------------------------------------------------------------- cutting


def _cut(document: Document, limit: int, taken: set[str], big: set[str],
         oversized: list[tuple[str, str, str | None]] | None = None) -> Parts:
    """The parts of one article document (one part when it has nothing to cut at)."""
    tree = _parse(document.content)
    body = tree.getroot().find(f"{{{XHTML}}}body")
    holder = None if body is None else next(
        (e for e in body.iter(f"{{{XHTML}}}div") if "article-body" in (e.get("class") or "").split()), None)
    if holder is None:
        return [(document.name, tree)]  # not an article as the templates make it: no known body to cut
    _rejoin(holder)
    inherited = sum(len(f' xmlns:{p}="{u}"' if p else f' xmlns="{u}"') for p, u in holder.nsmap.items())

    def size(element) -> int:  # its bytes in the document (measured in place: detached, lxml adds prefixes)
        return len(etree.tostring(element, encoding="UTF-8", xml_declaration=False)) - (
            inherited if isinstance(element.tag, str) else 0)

    def growth(element) -> int:  # links that may come to name a part make it bigger
        hrefs = [e.get(a) or "" for e in element.iter(etree.Element) for a in HREFS]
        return sum(len(document.name) + LINK_GROWTH if h.startswith("#") else LINK_GROWTH
                   for h in hrefs if h.startswith("#") or h.split("#")[0] in big)

    # A block bigger than a part by itself (a list of thousands of endnotes, a vast table) is cut
    # first into blocks of its own kind, at items, term groups, rows or lines (see _Divider).
    # The room is a guess on the safe side: the document less its body, header and end included.
    frame = len(document.content) - sum(size(c) for c in holder) - len((holder.text or "").encode())
    divider = _Divider(limit - frame, size, growth, holder)
    wrapped = {id(c) for _, c in _notes(holder) if c is not None}
    for block in [c for c in holder if id(c) not in wrapped and not _is_note(c)]:
        divider.divide(block)
    notes = _notes(holder)
    containers = {id(c): c for _, c in notes if c is not None}
    units = [c for c in holder if id(c) not in containers and not _is_note(c)]  # the blocks, cut only between them
    if len(units) < 2:
        _too_big(units, limit, document.name, oversized)
        return [(document.name, tree)]
    cost = [size(u) + growth(u) for u in units]
    note_size = [size(n) for n, _ in notes]
    # A container's own tags, counted with each of its notes (a part has one copy): a few bytes pessimistic.
    held: dict[int, int] = {}  # a container → its notes' bytes (summed once: a sum per container was quadratic)
    for (_, container), note_bytes in zip(notes, note_size, strict=True):
        if container is not None:
            held[id(container)] = held.get(id(container), 0) + note_bytes
    wrapper = {key: size(c) - held.get(key, 0) for key, c in containers.items()}
    for note, container in notes:
        (holder if container is None else container).remove(note)  # with its tail, as blocks below
    for element in units + list(containers.values()):
        holder.remove(element)  # with its tail, the text up to the next block
    # `tree` is now the frame every part is made from: head, header, an empty body, "More from".
    path = tree.getpath(holder)
    middle = len(_serialize(_frame(tree, path, False, False)[0]))
    owner = _note_owners(units, notes)
    cost[0] += len(_serialize(_frame(tree, path, True, False)[0])) - middle  # the header
    cost[-1] += len(_serialize(_frame(tree, path, False, True)[0])) - middle  # "More from"
    for i, (note, container) in enumerate(notes):
        cost[owner[i]] += note_size[i] + growth(note) + (0 if container is None else wrapper[id(container)])
    plan = _pack(cost, _cuts(units), range(len(units)), limit - middle)
    _too_big([u for u, c in zip(units, cost, strict=True) if c > limit - middle], 0, document.name, oversized)
    if len(plan) < 2:
        return [(document.name, tree)]
    stem = document.name.removesuffix(".xhtml")
    parts: Parts = []
    for k, span in enumerate(plan):
        name = document.name if k == 0 else _free_name(stem, k + 1, taken)
        part, box = _frame(tree, path, k == 0, k == len(plan) - 1)
        for i in span:
            previous = box[-1] if len(box) else None
            if previous is not None and divider.continues(units[i], previous):
                divider.join(previous, units[i])  # two pieces of one block that fit one part: one block again
            else:
                box.append(units[i])  # moved: each block goes to one part only
        copies: dict[int, etree._Element] = {}  # a notes container, once in each part that has notes
        for i, (note, container) in enumerate(notes):
            if owner[i] not in span:
                continue
            if container is not None and id(container) not in copies:
                copies[id(container)] = copy.deepcopy(container)  # emptied above: the wrapper alone
                box.append(copies[id(container)])
            (box if container is None else copies[id(container)]).append(note)
        parts.append((name, part))
    return parts


# ---------------------------------------------------------------------------- blocks too big for a part

_LISTS = frozenset({"ol", "ul", "menu"})
_WRAPS = frozenset({"section", "article", "div", "blockquote", "aside", "main", "figure"})  # cut between their children
_INNER_PRE = frozenset({"code", "samp", "kbd"})
_REFERRING = ("id", "aria-labelledby", "aria-describedby")  # not on a continuation: unique, or naming what stays behind


class _Divider:
    """Blocks bigger than ``room`` cut into pieces of their own kind, each piece a sibling that
    continues the one before it: a list at its items (an ``<ol>``'s numbering carried on by
    ``start``), a ``<dl>`` at its term groups, a table at its rows (never inside a rowspan; the
    ``<thead>``, the ``<colgroup>`` and a header row of ``<th>`` repeated in each piece), a
    ``<pre>`` at its lines, and a wrapper (``<section>``, ``<div>``, ``<blockquote>`` …) between
    its children, cutting a child too big in turn. Every element keeps its id (the first piece
    keeps the block's own); a piece repeats a table's head, ids included (ids are unique within
    a file, and each piece of a block goes to a file of its own). Pieces that come to share a
    part are joined again (:meth:`join`)."""

    def __init__(self, room: int, size, growth, holder):
        self.room, self.holder = room, holder
        self.size, self.growth = size, growth
        self.after: dict[int, tuple[etree._Element, etree._Element]] = {}  # id(piece) → (piece, the piece it continues)
        self.copies: dict[int, etree._Element] = {}  # a repeated head's copies, by id
        self.into: dict[int, tuple[etree._Element, etree._Element]] = {}  # id(joined piece) → (it, the piece it joined)

    def cost(self, element) -> int:
        return self.size(element) + self.growth(element)

    def continues(self, piece, previous) -> bool:
        entry = self.after.get(id(piece))
        if entry is None:
            return False
        target = entry[1]
        while id(target) in self.into:  # the piece it continues was itself joined to the one before
            target = self.into[id(target)][1]
        return target is previous

    def join(self, previous, piece) -> None:
        """``piece`` (detached) put back into ``previous``, the piece it continues."""
        for element in [c for c in piece if id(c) in self.copies]:
            piece.remove(element)
        first = piece[0] if len(piece) else None
        if first is not None and len(previous) and not (piece.text or "").strip() and self.continues(first, previous[-1]):
            tail = first.tail
            piece.remove(first)
            self.join(previous[-1], first)
            previous[-1].tail = tail
        if piece.text:
            if len(previous):
                previous[-1].tail = (previous[-1].tail or "") + piece.text
            else:
                previous.text = (previous.text or "") + piece.text
        previous.extend(list(piece))
        self.into[id(piece)] = (piece, previous)

    def divide(self, block, room: int | None = None) -> None:
        """``block`` (in its parent) cut into pieces of at most ``room`` bytes where it can be."""
        room = self.room if room is None else room
        if not isinstance(block.tag, str) or _is_note(block) or self.cost(block) <= room:
            return
        name = _local(block)
        if name == "pre":
            self._pre(block, room)
            return
        repeat: list = []
        if name in _LISTS:
            groups = self._groups(block, lambda c, run: _local(c) == "li")
        elif name == "dl":
            groups = self._groups(block, lambda c, run: _local(c) == "div" or (
                _local(c) == "dt" and any(_local(e) in ("dd", "div") for e in run)))
        elif name in ("table", "tbody"):
            repeat = self._table_head(block)
            overhead = _shell(block) + sum(self.cost(c) for c in repeat)
            for child in list(block):
                if _local(child) == "tbody":
                    self.divide(child, room - overhead)
            groups = self._rows(block, repeat)
        elif name in _WRAPS:
            for child in list(block):  # its footnotes join the body's, which go to the part of their reference
                if _is_note(child) or (len(child) and all(_is_note(c) for c in child.iterchildren(etree.Element))):
                    tail = child.tail
                    self.holder.append(child)
                    child.tail = tail
            overhead = _shell(block)
            for child in list(block):
                self.divide(child, room - overhead)
            groups = self._groups(block, lambda c, run: not any(_HEADING.fullmatch(_local(e)) for e in run[-1:]))
        else:
            return
        self._spread(block, groups, repeat, room)

    def _groups(self, block, starts) -> list[list]:
        """``block``'s children in runs that may not be cut: a new one where ``starts(child, run)``."""
        groups: list[list] = []
        for child in block:
            if not groups or starts(child, groups[-1]):
                groups.append([child])
            else:
                groups[-1].append(child)
        return groups

    def _table_head(self, block) -> list:
        """What each piece of a table (or row group) repeats: colgroups and thead, or a first
        row of header cells when there is no thead."""
        if _local(block) == "table":
            head = [c for c in block if _local(c) in ("colgroup", "thead")]
            if any(_local(c) == "thead" for c in head):
                return head
            rows = [c for c in block if _local(c) == "tr"]
            return head + rows[:1] if rows and _header_row(rows[0]) else head
        previous = block.getprevious()
        while previous is not None and _local(previous) not in ("tbody", "thead"):
            previous = previous.getprevious()
        first = next(block.iterchildren(f"{{{XHTML}}}tr"), None)
        table = block.getparent()
        if previous is None and first is not None and _header_row(first) and table is not None and table.find(f"{{{XHTML}}}thead") is None:
            return [first]  # the first row group's header row, when the table has no thead
        return []

    def _rows(self, block, repeat: list) -> list[list]:
        """Row groups of a table or tbody, each a run that may not be cut: the caption, colgroups
        and head with the first rows; then each row, but rows a rowspan binds together and a
        header row with the row after it; each tbody (or piece of one); a tfoot with the last."""
        groups: list[list] = [[]]
        rows = False  # the current group holds a row or a row group
        reach, index = -1, 0  # the last row a rowspan above reaches; this row's index
        for child in block:
            kind = _local(child)
            if kind in ("tbody", "tr"):
                bound = kind == "tr" and (index <= reach or any(c is groups[-1][-1] for c in repeat))
                if rows and not bound:
                    groups.append([])
                rows = True
                if kind == "tr":
                    spans = [int(c.get("rowspan")) for c in child if isinstance(c.tag, str) and (c.get("rowspan") or "").isdigit()]
                    reach = max(reach, index + max(spans, default=1) - 1)
                    index += 1
            groups[-1].append(child)
        return [g for g in groups if g]

    def _spread(self, block, groups: list[list], repeat: list, room: int) -> None:
        """The runs of ``groups`` that fit ``room`` each, the first in ``block``, the others each
        in a continuation of it placed after it."""
        overhead = _shell(block) + sum(self.cost(c) for c in repeat)
        runs: list[list] = []
        used = 0
        for group in groups:
            cost = sum(self.cost(c) for c in group)
            if runs and used + cost > room:
                runs.append([])
                used = overhead
            elif not runs:
                runs.append([])
                used = _shell(block)
            runs[-1] += group
            used += cost
        if len(runs) < 2:
            return
        numbers = _ordinals(block) if _local(block) == "ol" else {}
        tail, last = block.tail, block
        for run in runs[1:]:
            piece = etree.Element(block.tag, {k: v for k, v in block.attrib.items() if k not in _REFERRING}, nsmap=block.nsmap)
            if id(run[0]) in numbers:
                piece.set("start", str(numbers[id(run[0])]))
            for element in repeat:
                duplicate = copy.deepcopy(element)
                duplicate.tail = element.tail
                self.copies[id(duplicate)] = duplicate
                piece.append(duplicate)
            piece.extend(run)
            last.tail = "\n"
            last.addnext(piece)
            self.after[id(piece)] = (piece, last)
            last = piece
        last.tail = tail

    def _pre(self, pre, room: int) -> None:
        """A preformatted block cut between its lines (a line break in its text, never inside
        an element)."""
        inner = pre
        if len(pre) == 1 and _local(pre[0]) in _INNER_PRE and not (pre.text or "").strip() and not (pre[0].tail or "").strip():
            inner = pre[0]
        tokens: list = [inner.text or ""]
        for child in inner:
            tokens += [child, child.tail or ""]
        lines: list[list] = [[]]
        for token in tokens:
            if isinstance(token, str):
                for piece in re.split(r"(?<=\n)", token):
                    if piece:
                        lines[-1].append(piece)
                        if piece.endswith("\n"):
                            lines.append([])
            else:
                lines[-1].append(token)
        lines = [line for line in lines if line]
        overhead = _shell(pre) + (_shell(inner) if inner is not pre else 0)
        runs: list[list] = []
        used = 0
        for line in lines:
            cost = sum(len(escape_text(t).encode()) if isinstance(t, str) else self.cost(t) for t in line)
            if not runs or used + cost > room:
                runs.append([])
                used = overhead
            runs[-1] += line
            used += cost
        if len(runs) < 2:
            return
        for child in list(inner):
            child.tail = None
            inner.remove(child)
        inner.text = None
        tail, last_pre, last_inner = pre.tail, pre, inner
        for k, run in enumerate(runs):
            if k:
                piece = etree.Element(pre.tag, {a: v for a, v in pre.attrib.items() if a not in _REFERRING}, nsmap=pre.nsmap)
                box = piece
                if inner is not pre:
                    box = etree.SubElement(piece, inner.tag, {a: v for a, v in inner.attrib.items() if a not in _REFERRING})
                    self.after[id(box)] = (box, last_inner)
                last_pre.tail = "\n"
                last_pre.addnext(piece)
                self.after[id(piece)] = (piece, last_pre)
                last_pre, last_inner = piece, box
            _fill(last_inner, run)
        last_pre.tail = tail


def _fill(box, tokens: list) -> None:
    """``box`` given ``tokens`` (text and elements) as its content: each stretch of text joined
    once (adding line by line to lxml's text copied it each time)."""
    texts: list[str] = []
    last = None
    for token in [*tokens, None]:
        if isinstance(token, str):
            texts.append(token)
            continue
        if last is None:
            box.text = "".join(texts) or None
        else:
            last.tail = "".join(texts) or None
        texts = []
        if token is not None:
            box.append(token)
            last = token


def _ordinals(ol) -> dict[int, int]:
    """Each item of an ``<ol>`` (by id) → its number, as HTML counts them (start, value, reversed)."""
    items = [c for c in ol if _local(c) == "li"]
    reverse = ol.get("reversed") is not None
    try:
        number = int(ol.get("start") or "x")
    except ValueError:
        number = len(items) if reverse else 1
    numbers = {}
    for li in items:
        value = (li.get("value") or "").strip()
        if value.lstrip("-").isdigit():
            number = int(value)
        numbers[id(li)] = number
        number += -1 if reverse else 1
    return numbers


def _header_row(row) -> bool:
    cells = [c for c in row if isinstance(c.tag, str)]
    return bool(cells) and all(_local(c) == "th" for c in cells)


def _shell(element) -> int:
    """The bytes of an element's start and end tags (near enough: attributes as they are)."""
    name = len(etree.QName(element).localname)
    return 2 * name + 5 + sum(len(str(k)) + len(v) + 4 for k, v in element.attrib.items())


def _too_big(elements, limit: int, document: str, oversized: list[tuple[str, str, str | None]] | None) -> None:
    """Each block still bigger than a part, named for the warning (formats.py): the innermost
    element that is, with its id or first words."""
    if oversized is None:
        return
    for element in elements:
        if not isinstance(element.tag, str):
            continue
        size = len(etree.tostring(element, encoding="UTF-8"))
        if size <= limit:
            continue
        inner = element
        while True:
            child = max((c for c in inner if isinstance(c.tag, str)), key=lambda c: len(etree.tostring(c, encoding="UTF-8")), default=None)
            if child is None or len(etree.tostring(child, encoding="UTF-8")) * 2 < size:
                break
            inner = child
        oversized.append((document, _describe(inner, element), inner.get("id") or element.get("id")))


def _describe(element, block) -> str:
    name = _local(element)
    label = f'<{name} id="{element.get("id")}">' if element.get("id") else f"<{name}>"
    words = " ".join("".join(element.itertext()).split()[:8])
    where = f" in <{_local(block)}>" if block is not element else ""
    return f'{label}{where}' + (f' ("{words[:60]}…")' if words else "")


def _rejoin(holder) -> None:
    """The article's last block or notes, which the built-in theme keeps with "More from" in
    the ``div.article-body-end`` after the body (ending.py), given back to the body before it
    is cut, each wrapper's continuation into its wrapper: notes go to the part of their
    reference. A cut article's "More from" (in its last part) is then no longer kept with its
    end. Only the template's box is read: the one that follows the body."""
    box = holder.getnext()
    if box is None or "article-end" not in (box.get("class") or "").split():
        return
    end = next((e for e in box.iterchildren(f"{{{XHTML}}}div") if "article-body-end" in (e.get("class") or "").split()), None)
    if end is not None:
        _merge(holder, end)
        box.remove(end)


def _merge(target, source) -> None:
    """``source``'s content appended to ``target``'s; a continuation (ending.py) of
    ``target``'s last child merged into that child."""
    children = list(source)
    last = target[-1] if len(target) else None
    if (children and last is not None and isinstance(last.tag, str) and children[0].tag == last.tag
            and dict(children[0].attrib) == continuation_attributes(last)):
        _merge(last, children.pop(0))
    if len(target):
        target[-1].tail = (target[-1].tail or "") + (source.text or "")
    else:
        target.text = (target.text or "") + (source.text or "")
    target.extend(children)  # with their tails


def _notes(holder) -> list[tuple[etree._Element, etree._Element | None]]:
    """The body's footnotes: (note, its container or None), in order.

    Notes are the body's own children marked epub:type="footnote", or the children of a child
    that holds notes only (div.footnotes at the end, as content/reading.py makes it). Notes anywhere
    else are inside a block and travel with it.
    """
    notes: list[tuple[etree._Element, etree._Element | None]] = []
    for child in holder:
        inside = list(child.iterchildren(etree.Element))
        if _is_note(child):
            notes.append((child, None))
        elif inside and all(_is_note(c) for c in inside):
            notes += [(note, child) for note in inside]
    return notes


def _note_owners(units: list, notes: list) -> list[int]:
    """For each note, the block whose part gets it: the one with its first reference.

    A note referenced only from another note goes where that note goes; one referenced from
    no block (the templates put no references outside the body) goes to the last part.
    """
    ids = {n.get("id"): i for i, (n, _) in enumerate(notes) if n.get("id")}

    def refs(element) -> Iterator[int]:
        for a in element.iter(f"{{{XHTML}}}a"):
            href = a.get("href") or ""
            if "noteref" in (a.get(EPUB_TYPE) or "").split() and href.startswith("#") and unquote(href[1:]) in ids:
                yield ids[unquote(href[1:])]

    owner: dict[int, int] = {}
    for index, unit in enumerate(units):
        for note in refs(unit):
            owner.setdefault(note, index)
    # Notes within notes, as deep as they go: passes over the notes in order, each note that has
    # a block giving it to the notes it refers to, until no pass changes one. A chain of notes
    # referring back made as many passes as notes (quadratic); each note is now taken once,
    # at the pass and place where the passes would first have read it with its block.
    waiting = [(0, i) for i in sorted(owner)]  # (pass, note)
    done: set[int] = set()
    while waiting:
        turn, i = heapq.heappop(waiting)
        if i in done:
            continue
        done.add(i)
        for inner in refs(notes[i][0]):
            if inner not in owner:
                owner[inner] = owner[i]
                heapq.heappush(waiting, (turn if inner > i else turn + 1, inner))
    return [owner.get(i, len(units) - 1) for i in range(len(notes))]


def _cuts(units: list) -> list[int]:
    """How good a place to cut before each block is (H2 … NEVER)."""
    out = []
    for i, unit in enumerate(units):
        level = _heading_level(unit)
        if i and _HEADING.fullmatch(_local(units[i - 1])):
            out.append(NEVER)
        elif level is not None and level <= 2:
            out.append(H2)
        else:
            out.append(H3 if level == 3 else BLOCK)
    return out


def _pack(cost: list[int], cuts: list[int], units: range, room: int, level: int = H2,
          before: list[int] | None = None) -> list[range]:
    """The blocks in ``units`` grouped into parts of at most ``room`` bytes, cut at ``level``.

    Whole sections are packed into parts in order. Only a section that is bigger than a part
    by itself is cut finer: at its h3 subsections, and only a subsection still too big at any
    block. Such a section begins a new part; what follows it may share its last part. A single
    block bigger than a part (a vast table) becomes a part of its own, over the limit.
    """
    before = before or [0, *itertools.accumulate(cost)]  # before[i]: the bytes of the blocks before block i
    starts = [i for i in units if i == units.start or cuts[i] <= level]
    parts: list[range] = []
    for start, stop in zip(starts, [*starts[1:], units.stop], strict=True):
        size = before[stop] - before[start]  # a sum of the costs each time was quadratic in the blocks
        if size > room and level < BLOCK:
            parts += _pack(cost, cuts, range(start, stop), room, level + 1, before)
        elif parts and before[parts[-1].stop] - before[parts[-1].start] + size <= room:
            parts[-1] = range(parts[-1].start, stop)
        else:
            parts.append(range(start, stop))
    return parts


def _frame(tree, path: str, first: bool, last: bool):
    """A copy of the emptied document for one part, and its (empty) article body.

    Everything before the body (header, lead image, a page-break marker at the start) stays
    only in the first part, everything after it ("More from") only in the last.
    """
    part = etree.ElementTree(copy.deepcopy(tree.getroot()))
    box = part.xpath(path)[0]
    if not first and (box.text or "").strip():
        box.text = None  # text before the first block is the first part's
    node = box
    while node.tag != f"{{{XHTML}}}body":
        parent = node.getparent()
        for sibling in [] if first else list(node.itersiblings(preceding=True)):
            parent.remove(sibling)
        for sibling in [] if last else list(node.itersiblings()):
            parent.remove(sibling)
        node = parent
    return part, box


def _free_name(stem: str, number: int, taken: set[str]) -> str:
    # "x-2.xhtml" may already be another article's name: content/reading.py numbers same-named files so.
    name, n = f"{stem}-{number}.xhtml", 2
    while name in taken:
        name, n = f"{stem}-{number}-{n}.xhtml", n + 1
    return name


def _heading_level(element) -> int | None:
    """The level of the heading a block is or starts with (first in a <section>, <header>, <hgroup>)."""
    while element is not None and _local(element) in ("section", "header", "hgroup"):
        element = next(element.iterchildren(etree.Element), None)
    match = _HEADING.fullmatch(_local(element)) if element is not None else None
    return int(match.group(1)) if match else None


def _is_note(element) -> bool:
    return isinstance(element.tag, str) and "footnote" in (element.get(EPUB_TYPE) or "").split()


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


# ---------------------------------------------------------------------------- links


def _ids(parts: Parts) -> dict[str, str]:
    """Each id of a cut document → the part holding it (the first, for the frame's own ids)."""
    where: dict[str, str] = {}
    for name, tree in parts:
        for element in tree.iter(etree.Element):
            if element.get("id"):
                where.setdefault(element.get("id"), name)
    return where


def _target(href: str, where: dict[str, dict[str, str]], here: str | None = None, part: str | None = None) -> str | None:
    """``href`` made to name the part now holding its fragment; None when it stays as it is.

    ``here`` and ``part``: the cut document and the part the link is in ("#id" links).
    A link without a fragment goes to the first part, which keeps the document's name.
    """
    url = urlsplit(href)
    if url.scheme or url.netloc or not url.fragment:
        return None
    document = unquote(url.path) if url.path else here
    if document not in where:
        return None
    target = where[document].get(unquote(url.fragment), document)
    if target == (unquote(url.path) if url.path else part):
        return None
    return f"{target}{'?' + url.query if url.query else ''}#{url.fragment}"


def _relink(tree, where: dict[str, dict[str, str]], here: str | None = None, part: str | None = None) -> bool:
    """Rewrite the document's links into cut documents; whether any changed."""
    changed = False
    for element in tree.iter(etree.Element):
        for attribute in HREFS:
            new = _target(element.get(attribute) or "", where, here, part)
            if new is not None:
                element.set(attribute, new)
                changed = True
    return changed


def _relinked(document: Document, where: dict[str, dict[str, str]]) -> Document:
    """A document that was not cut: re-serialized only when one of its links changed."""
    if document.kind == Kind.PRINT or not any(name.encode() in document.content for name in where):
        return document  # the PDF's document links inside itself only
    tree = _parse(document.content)
    return document._replace(content=_serialize(tree)) if _relink(tree, where) else document


def _toc(entries: tuple[TocEntry, ...], where: dict[str, dict[str, str]]) -> tuple[TocEntry, ...]:
    return tuple(e._replace(href=_target(e.href, where) or e.href, children=_toc(e.children, where)) for e in entries)


def _parse(content: bytes):
    return parse_document(content)


def _serialize(tree) -> bytes:
    return PROLOG + etree.tostring(tree, encoding="UTF-8", xml_declaration=False, doctype="<!DOCTYPE html>") + b"\n"
