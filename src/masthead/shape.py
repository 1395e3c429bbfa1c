"""Shape a clean article tree the way e-readers and assistive technology expect it.

The sanitizer decides what may pass; this decides what it becomes: markdown-it's footnotes
turn into noteref/footnote pairs that readers pop up, ``::: pullquote`` and ``::: sidebar``
containers into asides, a paragraph holding only an image into a figure with its caption,
epub:type into the DPUB-ARIA role it implies, the article's headings to start below the
headline, and ids unique. Every function here takes and changes an lxml tree in the XHTML
namespace; none reads files or reports problems.
"""

from __future__ import annotations

import re

from lxml import etree

from masthead import repair
from masthead.sanitize import OPS, XHTML

EPUB_TYPE = f"{{{OPS}}}type"
CONTAINERS = {"pullquote": "pullquote", "verse": "verse", "aside": "sidebar", "sidebar": "sidebar"}
# epub:type → DPUB-ARIA role, and the elements that may carry it (ARIA in HTML).
_ROLES = {token: f"doc-{token}" for token in (
    "abstract", "acknowledgments", "afterword", "appendix", "bibliography", "chapter", "colophon",
    "conclusion", "credits", "dedication", "endnotes", "epigraph", "epilogue", "errata", "example",
    "foreword", "glossary", "introduction", "notice", "part", "preface", "prologue", "pullquote",
    "qna", "tip", "footnote", "noteref", "backlink", "subtitle", "pagebreak", "toc")}
_ROLE_HOSTS = {"noteref": ("a",), "backlink": ("a",), "subtitle": ("h1", "h2", "h3", "h4", "h5", "h6", "p"),
               "pagebreak": ("span", "div", "hr"), "footnote": ("aside", "div", "p"),  # not section: ARIA in HTML (and EPUBCheck) refuse it there
               "tip": ("aside", "section", "div"), "notice": ("section", "div"), "toc": ("nav", "section")}


def _x(name: str) -> str:
    return f"{{{XHTML}}}{name}"


def remove(element) -> None:
    """Take an element out of the tree, keeping the text that followed it."""
    parent = element.getparent()
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def structure(tree) -> None:
    """Everything below, in order, except what needs the article's images checked first."""
    repair.repair(tree)  # first: what follows expects lists, tables and paragraphs where HTML puts them
    _markdown_footnotes(tree)
    _containers(tree)
    _verse(tree)
    _figures(tree)
    _tables(tree)


def finish(tree) -> None:
    _roles(tree)
    _shift_headings(tree)
    _unique_ids(tree)
    repair.references(tree)  # last: after ids are made unique


def _containers(tree) -> None:
    for element in list(tree.iter(_x("div"))):
        kind = CONTAINERS.get(element.get("class", ""))
        if kind == "pullquote":
            element.tag = _x("aside")
            element.set(EPUB_TYPE, "pullquote")
            element.set("role", "doc-pullquote")
        elif kind == "sidebar":
            element.tag = _x("aside")
            element.set(EPUB_TYPE, "sidebar")


_VERSE_CLASSES = {"verse", "poem"}
_VERSE_TYPES = {"z3998:verse", "z3998:poem", "z3998:song"}


def _verse(tree) -> None:
    """A verse's lines, each its own block: ``<span class="line">…<br/></span>``. One paragraph
    of lines split by ``<br/>`` cannot be given a hanging indent (CSS indents only after the
    paragraph's start), so on a phone a turnover looked like a new line. The ``<br/>`` stays
    at each line's end, for readers that ignore the CSS (MuPDF, MOBI) and for copy-paste."""
    for holder in list(tree.iter()):
        if not isinstance(holder.tag, str):
            continue
        classes = set((holder.get("class") or "").split())
        types = set((holder.get(EPUB_TYPE) or "").split())
        if not (classes & _VERSE_CLASSES or types & _VERSE_TYPES):
            continue
        for p in [holder, *holder.iter(_x("p"))]:
            if p.tag == _x("p") and any(c.tag == _x("br") for c in p):
                _split_lines(p)


def _split_lines(p) -> None:
    if any(isinstance(c.tag, str) and c.get("class") == "line" for c in p):
        return  # done already
    lines = [etree.Element(_x("span"), {"class": "line"})]
    lines[0].text = (p.text or "").lstrip()
    for child in list(p):
        if child.tag == _x("br"):
            rest = (child.tail or "").lstrip()
            child.tail = None
            lines[-1].append(child)
            lines.append(etree.Element(_x("span"), {"class": "line"}))
            lines[-1].text = rest
        else:
            lines[-1].append(child)  # its tail goes with it
    last = lines[-1]
    if not len(last) and not (last.text or "").strip():
        lines.pop()
        if lines and len(lines[-1]) and lines[-1][-1].tag == _x("br"):
            lines[-1].remove(lines[-1][-1])  # a final <br/> would end the verse with an empty line
    p.text = None
    p[:] = lines
    for line in lines[:-1]:
        line.tail = "\n"


STACKABLE_COLUMNS = 3


def _tables(tree) -> None:
    """A table of three columns or more, with one header row and no merged cells, is marked
    ``stackable`` and each body cell gets its column's header as ``data-label``: on a page too
    narrow for it (a phone, large type) the theme sets each row as a block of labelled lines
    (common.css), where the table would lose its last columns off the page's edge."""
    for table in list(tree.iter(_x("table"))):
        head = table.find(_x("thead"))
        rows = [r for body in table.findall(_x("tbody")) for r in body.findall(_x("tr"))]
        if head is None or len(head.findall(_x("tr"))) != 1 or not rows:
            continue
        headers = [c for c in head.find(_x("tr")) if isinstance(c.tag, str)]
        cells = [[c for c in row if isinstance(c.tag, str)] for row in rows]
        if len(headers) < STACKABLE_COLUMNS or any(len(row) != len(headers) for row in cells) or any(
                c.get("colspan") or c.get("rowspan") for c in headers + [c for row in cells for c in row]):
            continue
        labels = [" ".join("".join(h.itertext()).split()) for h in headers]
        table.set("class", " ".join([*(table.get("class") or "").split(), "stackable"]))
        for row in cells:
            for label, cell in zip(labels, row):
                if label:
                    cell.set("data-label", label)


def _figures(tree) -> None:
    for p in list(tree.iter(_x("p"))):  # a paragraph holding only an image is a figure
        children = list(p)
        if len(children) == 1 and children[0].tag == _x("img") and not (p.text or "").strip() and not (children[0].tail or "").strip():
            img = children[0]
            p.tag, p.text = _x("figure"), None
            p.attrib.clear()
            img.tail = None
            caption = img.attrib.pop("title", None)
            if caption:
                etree.SubElement(p, _x("figcaption")).text = caption


def _roles(tree) -> None:
    # Give elements the ARIA role their epub:type implies (DPUB-ARIA), where HTML allows
    # that role on that element: assistive technology reads roles, not epub:type.
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        role = element.get("role")
        if role is not None:
            if _role_ok(role.strip(), name):
                continue
            del element.attrib["role"]  # EPUBCheck refuses a role HTML does not allow there
        for token in (element.get(EPUB_TYPE) or "").split():
            role = _ROLES.get(token)
            if role and name in _ROLE_HOSTS.get(token, ("section", "div", "aside")):
                element.set("role", role)
                break


# Roles an article's own markup may keep: document structure, none of the widgets (a button,
# a tab) that need scripts, nor those that need more attributes (a heading needs its level).
_DOC_ROLES = {f"doc-{t}" for t in ("biblioentry", "biblioref", "cover", "credit", "endnote", "glossref", "index", "pagelist")}
_PLAIN_ROLES = {  # role → the elements EPUBCheck (ARIA in HTML) takes it on
    "note": ("div", "p", "aside", "blockquote", "section"), "group": ("div", "figure", "ul", "ol", "section", "td"),
    "region": ("section", "div"), "complementary": ("section", "div", "aside"),
    "presentation": ("div", "span", "p", "ul", "ol", "table"), "none": ("div", "span", "p", "ul", "ol", "table"),
}
_ROLE_ONLY_ON = {"doc-biblioref": ("a",), "doc-glossref": ("a",), "doc-cover": ("img",)}


def _role_ok(role: str, name: str) -> bool:
    token = role[4:] if role.startswith("doc-") else None
    if token in _ROLES and _ROLES[token] == role:
        return name in _ROLE_HOSTS.get(token, ("section", "div", "aside"))
    if role in _DOC_ROLES:
        return name in _ROLE_ONLY_ON.get(role, ("section", "div", "aside"))
    return name in _PLAIN_ROLES.get(role, ())


def _markdown_footnotes(tree) -> None:
    """markdown-it's footnotes → <a epub:type="noteref"> and <aside epub:type="footnote">."""
    section = next((s for s in tree.iter(_x("section")) if s.get("class") == "footnotes"), None)
    if section is None:
        return
    for hr in list(tree.iter(_x("hr"))):
        if hr.get("class") == "footnotes-sep":
            remove(hr)
    # note-1, noteref-1: unless the article has such an id already (a heading "Note 1" does),
    # which would keep its id and take the note's links.
    taken = [e.get("id") for e in tree.iter() if isinstance(e.tag, str) and e.get("id")]
    prefix, k = "note", 1
    while any(re.fullmatch(rf"{prefix}(?:ref)?-[\d-]+", i) for i in taken):
        k += 1
        prefix = f"note{k}"
    numbers: dict[str, str] = {}
    for n, li in enumerate(section.iter(_x("li")), start=1):
        old = li.get("id", "")
        numbers[old] = str(n)
    for sup in list(tree.iter(_x("sup"))):
        if sup.get("class") != "footnote-ref" or not len(sup):
            continue
        a = sup[0]
        target = (a.get("href") or "").lstrip("#")
        number = numbers.get(target, "")
        ref_id = (a.get("id") or "").replace("fnref", f"{prefix}ref-").replace(":", "-")
        sup.tag = _x("a")
        sup.attrib.clear()
        sup.text, sup[:] = number, []
        sup.set("href", f"#{prefix}-{number}")
        sup.set("id", ref_id)
        sup.set("class", "noteref")
        sup.set(EPUB_TYPE, "noteref")
        sup.set("role", "doc-noteref")
    notes = etree.Element(_x("div"))
    notes.set("class", "footnotes")
    items = {}
    for li in section.iter(_x("li")):  # by id, once: a search per note was quadratic (10,000 notes: 34 s)
        items.setdefault(li.get("id", ""), li)
    for old, number in numbers.items():
        li = items[old]
        aside = etree.SubElement(notes, _x("aside"))
        aside.set("id", f"{prefix}-{number}")
        aside.set("class", "footnote")
        aside.set(EPUB_TYPE, "footnote")
        aside.set("role", "doc-footnote")
        aside.text = li.text
        for child in list(li):
            aside.append(child)
        for back in list(aside.iter(_x("a"))):
            if back.get("class") == "footnote-backref":
                remove(back)
        first = aside.find(_x("p"))
        link = etree.Element(_x("a"))
        link.set("href", f"#{prefix}ref-{number}")
        link.set("role", "doc-backlink")
        link.set("class", "backlink")
        link.text = number
        link.tail = " " + (first.text or "") if first is not None else None
        if first is not None:
            first.text = None
            first.insert(0, link)
        else:
            aside.insert(0, link)
    section.getparent().replace(section, notes)
    for p in notes.iter(_x("p")):  # markdown-it leaves a space before the removed back arrow
        if len(p) and p[-1].tail:
            p[-1].tail = p[-1].tail.rstrip()
        elif p.text and not len(p):
            p.text = p.text.rstrip()


def _shift_headings(tree) -> None:
    """The headline is the page's h1: the article's own headings start at h2, in order."""
    levels = [int(e.tag[-1]) for e in tree.iter() if isinstance(e.tag, str) and re.fullmatch(r"\{[^}]*\}h[1-6]", e.tag)]
    if not levels:
        return
    shift = 2 - min(levels)
    if shift == 0:
        return
    for element in tree.iter():
        if isinstance(element.tag, str) and re.fullmatch(r"\{[^}]*\}h[1-6]", element.tag):
            element.tag = _x(f"h{max(2, min(6, int(element.tag[-1]) + shift))}")


def _unique_ids(tree) -> None:
    seen: set[str] = set()
    for element in tree.iter():
        value = element.get("id") if isinstance(element.tag, str) else None
        if value is None:
            continue
        if value in seen or value.startswith("mh-"):  # mh-… ids belong to the theme
            del element.attrib["id"]
        else:
            seen.add(value)
