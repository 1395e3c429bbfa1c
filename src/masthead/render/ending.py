"""An article's body as the template shows it: everything but its last block, and that block.

The built-in theme keeps an article's last block together with "More from" (a box that is
not broken across pages, common.css), so that "More from" never stands alone on a page: where
it does not fit below the article's last lines, that block goes over with it. Reading engines
cannot be trusted to do it from ``break-before: avoid`` alone (Chromium often ignores it,
WebKit and Gecko always do). Where notes end the body (the container content/reading.py puts them in), the
notes are what is split off: they are the article's, so a page holding them and "More from" is
not chrome alone, and the white left on the page before is only theirs. They stay in a
``div.article-body`` of their own, where pop-up notes and split.py (which gives them back to
the body before it cuts a long article) find them; where nothing but notes precedes them,
nothing is split off.
Plain lxml; no templates.
"""

from __future__ import annotations

from typing import NamedTuple

from lxml import etree

from masthead.runtime.safexml import (
    OPS,
    XHTML,
    local_name,
    parse_fragment,
    serialize_fragment,
)


class Ending(NamedTuple):
    lead: str  # the body without its last block ("" when nothing was split off)
    last: str  # the last block ("" when nothing was split off)
    continues: bool  # the last block is a paragraph after a paragraph: it keeps its indent


NOT_SPLIT = Ending("", "", False)


WRAPPERS = frozenset({"section", "article", "div"})  # gone into (not main: it may hold no role)
MAX_DEPTH = 8
INTRODUCING = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "dt", "hgroup", "header"})


def _is_note(element) -> bool:
    return any(t in (element.get(f"{{{OPS}}}type") or "").split() for t in ("footnote", "endnote", "rearnote")) or any(
        r in (element.get("role") or "").split() for r in ("doc-footnote", "doc-endnote"))


def _holds_notes(element) -> bool:
    """A note, or a block that holds notes only (no text of its own between them)."""
    if _is_note(element) or any(r in (element.get("role") or "").split() for r in ("doc-endnotes",)) or any(
            t in (element.get(f"{{{OPS}}}type") or "").split() for t in ("footnotes", "endnotes", "rearnotes")):
        return True
    inside = list(element.iterchildren(etree.Element))
    return bool(inside) and all(_is_note(c) for c in inside) and not (element.text or "").strip() and not any(
        (c.tail or "").strip() for c in element)


def _is_wrapper(element) -> bool:
    """An element that only groups the article's blocks (Standard Ebooks' and many CMS
    exports' ``<article>``, a ``<section>``), which the split goes into."""
    return (local_name(element) in WRAPPERS and "table-wrap" not in (element.get("class") or "").split()
            and not _holds_notes(element) and len(element) > 0 and not (element.text or "").strip())


def continuation_attributes(wrapper) -> dict[str, str]:
    """The attributes of a wrapper's continuation: no id (ids are unique), no epub:type, role or
    label (assistive technology sees the one wrapper, not two). split.py knows a continuation
    by them."""
    attributes = {k: v for k, v in wrapper.attrib.items() if k not in ("id", f"{{{OPS}}}type", "role", "aria-label", "aria-labelledby")}
    attributes["role"] = "presentation"
    return attributes


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def ending(body: str) -> Ending:
    """``body`` split before its last block, or ``Ending("", "", False)`` where it is not split.

    The split goes into a body that is one wrapper (an ``<article>`` holding the text), and into
    its last wrapper, down to a level of blocks: the wrappers it crosses are written twice,
    the second time as a continuation (ending.py's ``_continuation``)."""
    try:
        root = parse_fragment(body)
    except (etree.XMLSyntaxError, UnicodeError):
        return NOT_SPLIT
    path = []  # (wrapper, index in it of the element the split goes before or into)
    node = root
    for _ in range(MAX_DEPTH):
        blocks = list(node.iterchildren(etree.Element))
        if not blocks or any((b.tail or "").strip() for b in blocks) or any(
                not isinstance(c.tag, str) for c in node[node.index(blocks[-1]):]):
            return NOT_SPLIT  # text between the blocks or at the end: no block boundary to trust
        at = len(blocks) - 1
        while at >= 0 and _holds_notes(blocks[at]):
            at -= 1
        if at < 0:
            return NOT_SPLIT
        if at == len(blocks) - 1 and _is_wrapper(blocks[at]):
            path.append((node, node.index(blocks[at])))
            node = blocks[at]
            continue
        # the notes that end the text go with "More from" (they are the article's, so a page
        # holding them is not chrome alone); else the last block. A heading or a term goes
        # over with what it introduces.
        cut = at + 1 if at < len(blocks) - 1 else at
        while cut >= 1 and local_name(blocks[cut - 1]) in INTRODUCING:
            cut -= 1
        if cut < 1 or local_name(blocks[cut]) == "main":
            return NOT_SPLIT  # one block, or only notes, before the end: nothing to keep with
        path.append((node, node.index(blocks[cut])))
        break
    else:
        return NOT_SPLIT
    inner, cut = path[-1]
    last, before = inner[cut], [e for e in inner[:cut] if isinstance(e.tag, str)][-1]
    plain_p = f"{{{XHTML}}}p"
    continues = (last.tag == plain_p and before.tag == plain_p and not _holds_notes(last)
                 and "scene-break" not in _classes(before) + _classes(last))
    if continues and "continues" not in _classes(last):  # first in its box, it would lose its indent (common.css)
        last.set("class", " ".join([*_classes(last), "continues"]))

    # The last part: the continuations of the wrappers crossed, the innermost holding the last
    # block and what follows it; each level's notes after its wrapper's continuation. Made
    # inside root's document: a move between documents costs lxml time in the size of what
    # moves.
    moves = [list(node[index + 1:] if level < len(path) - 1 else node[index:]) for level, (node, index) in enumerate(path)]
    tail_part = etree.SubElement(root, f"{{{XHTML}}}div")
    holder = tail_part
    for level, (node, index) in enumerate(path):
        if level < len(path) - 1:
            copy_ = etree.SubElement(holder, node[index].tag, continuation_attributes(node[index]))
            holder.extend(moves[level])  # this level's notes, after the continuation
            holder = copy_
        else:
            holder.extend(moves[level])
    # What is left in `root` before it is the lead: the moves above took the last part out of it
    # (tail_part stays in root: taking it out would cost what the move between documents does).
    return Ending(serialize_fragment(root, root[:-1]), serialize_fragment(tail_part).rstrip(), continues)
