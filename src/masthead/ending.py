"""An article's body as the template shows it: everything but its last block, and that block.

The built-in theme keeps an article's last block together with "More from" (a box that is
not broken across pages, common.css), so that "More from" never stands alone on a page: where
it does not fit below the article's last lines, that block goes over with it. Reading engines
cannot be trusted to do it from ``break-before: avoid`` alone (Chromium often ignores it,
WebKit and Gecko always do). Where notes end the body (the container content.py puts them in), the
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

from masthead.sanitize import OPS, XHTML, body_tree, local_name, serialize


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
    inside = list(element.iterchildren(etree.Element))
    return _is_note(element) or bool(inside) and all(_is_note(c) for c in inside) or any(
        r in (element.get("role") or "").split() for r in ("doc-endnotes",)) or any(
        t in (element.get(f"{{{OPS}}}type") or "").split() for t in ("footnotes", "endnotes", "rearnotes"))


def _is_wrapper(element) -> bool:
    """An element that only groups the article's blocks (Standard Ebooks' and many CMS
    exports' ``<article>``, a ``<section>``), which the split goes into."""
    return (local_name(element) in WRAPPERS and "table-wrap" not in (element.get("class") or "").split()
            and not _holds_notes(element) and len(element) > 0 and not (element.text or "").strip())


def _continuation(wrapper):
    """An empty copy of a wrapper, to hold its last blocks: no id (ids are unique), no epub:type
    or role (the reader's assistive technology sees the one wrapper, not two)."""
    attributes = {k: v for k, v in wrapper.attrib.items() if k not in ("id", f"{{{OPS}}}type", "role", "aria-label", "aria-labelledby")}
    attributes["role"] = "presentation"
    return etree.Element(wrapper.tag, attributes)


def ending(body: str) -> Ending:
    """``body`` split before its last block, or ``Ending("", "", False)`` where it is not split.

    The split goes into a body that is one wrapper (an ``<article>`` holding the text), and into
    its last wrapper, down to a level of blocks: the wrappers it crosses are written twice,
    the second time as a continuation (ending.py's ``_continuation``)."""
    try:
        root = body_tree(body)
    except etree.XMLSyntaxError:
        return NOT_SPLIT
    path = []  # (wrapper, index in it of the element the split goes before or into)
    node = root
    for _ in range(MAX_DEPTH):
        blocks = list(node.iterchildren(etree.Element))
        if not blocks or not isinstance(node[-1].tag, str) or (node[-1].tail or "").strip():
            return NOT_SPLIT
        at = len(blocks) - 1
        while at >= 0 and _holds_notes(blocks[at]):
            at -= 1
        if at < 0:
            return NOT_SPLIT
        if at < len(blocks) - 1:
            # notes end the text: they go with "More from" (they are the article's, so a page
            # holding them is not chrome alone), the text before them stays where it falls
            path.append((node, node.index(blocks[at + 1])))
            break
        if _is_wrapper(blocks[at]):
            path.append((node, node.index(blocks[at])))
            node = blocks[at]
            continue
        # a heading or a term goes over with what it introduces
        while at >= 1 and local_name(blocks[at - 1]) in INTRODUCING:
            at -= 1
        if at < 1 or local_name(blocks[at]) == "main":
            return NOT_SPLIT  # one block, or only notes, before the end: nothing to keep with
        path.append((node, node.index(blocks[at])))
        break
    else:
        return NOT_SPLIT
    inner, cut = path[-1]
    last, before = inner[cut], [e for e in inner[:cut] if isinstance(e.tag, str)][-1]
    plain_p = f"{{{XHTML}}}p"
    continues = last.tag == plain_p and before.tag == plain_p and "scene-break" not in (before.get("class") or "").split() \
        and not _holds_notes(last)
    if continues:  # first in its box, it would lose its indent (common.css: p.continues)
        last.set("class", " ".join([*(last.get("class") or "").split(), "continues"]))

    # The last part: the continuations of the wrappers crossed, the innermost holding the last
    # block and what follows it; each level's notes after its wrapper's continuation.
    tail_part = etree.Element(f"{{{XHTML}}}div", nsmap={None: XHTML, "epub": OPS})
    holder = tail_part
    for level, (node, index) in enumerate(path):
        if level < len(path) - 1:
            copy_ = _continuation(node[index])
            copy_.text, copy_.tail = node[index].text, node[index].tail
            holder.append(copy_)
            holder.extend(node[index + 1:])  # moved: this level's notes
            holder = copy_
        else:
            holder.extend(node[index:])
    # What is left in `root` is the lead: the moves above took the last part out of it.
    return Ending(serialize(root), serialize(tail_part).rstrip(), continues)
