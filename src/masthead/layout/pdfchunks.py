"""The print layout of a big issue in chunks, in parallel processes, joined into one PDF.

WeasyPrint keeps the whole laid-out document in memory (about 0.6 MB a page with columns)
and uses one core, and its Documents cannot cross processes. So a big print document is cut
into chunks: the front (cover and contents) and runs of whole articles of about
CHUNK_WORDS words. Each chunk is a complete document (the same <head>, its part of <body>)
laid out by itself in a worker process; pdfjoin.py joins the chunks' PDFs.

A chunk alone does not know its first folio, nor the page of an article in another chunk
(the contents and "More from" print them with ``target-counter()``). Since issue 26 it need
not (furniture.py): a chunk is laid out *furnished*, without its margin boxes, as if it began
on a recto, with each page number its links print as zeros of as many digits as the number
has (the theme's digits are tabular, so a number's width depends only on its digits), and
another article's reading time too. The join draws each page's folio and running heads from
a furniture document laid out for the whole issue, moves a verso's content by its side's
margins, and writes the numbers' digits in place of the zeros. So a chunk's *setup* (what its
layout depends on beyond its content) is only: the count of digits of each number, and, for a
chunk whose pages depend on their side (a forced left or right break), the side it begins on.
The first round guesses the digits from word counts and reports each chunk's page count and
where its linked ids fall; the true setups follow, and a chunk is laid out again while its
setup differs from the one its last layout used. No folio or page reference is a guess.
A chunk that cannot be furnished (running elements; numbers whose figures differ in width)
is laid out with its true folios and numbers, as every chunk was before.

The page numbers of links inside a chunk are printed from the setup too, not by WeasyPrint's
target-counter(): it lays out again every page whose target-counter() values change, and in
doing so (70.0) loses footnotes it had carried to the next page. Without those second
layouts a chunk is laid out once per round, and keeps its footnotes.

An article longer than a chunk is cut between the blocks of its body into parts, each a
chunk's (``_cut``): a worker's memory then does not grow with the article (a book of one
200,000-word chapter took 540 MB of summed PSS with --jobs 2 as one chunk, 256 MB in parts).
Each part after the first begins a page, and carries the running head and footnote count on.

The plan depends on the content only and each chunk's result on its setup only, so the bytes
are the same for any --jobs and any machine.

Which issues, and how big the chunks (issue 26). An issue of ONE_PASS_WORDS words of articles
or more (a book) is cut into chunks of CHUNK_WORDS, for memory and both cores. One of
EDIT_WORDS or more (a magazine's size: strand-1891 has 105,000) is cut into chunks of
EDIT_CHUNK_WORDS, about a story each, so that an edit lays out one story's pages again and
the other chunks come from the cache (below), wherever the edit moved their pages. A chunk
ends before an article chosen by its id (``_cut_before``) once half full, so an article that
grows does not move where the chunks after it are cut. A smaller issue (the samples) takes
the single in-process pass: it lays out in seconds, so an edit relays it all.

Chunks remembered (issue 26). A chunk's layout is kept in the cache under its content, its
stylesheets and resources, its setup and whether it was written: a rebuild after one article
changed lays out that article's chunk, and a chunk only when a number it prints gains or loses
a digit (page 99 becoming 100), and takes the others from the cache as they were. The bytes
are those of a build that remembered nothing. Each build leaves its chunks' settled setups in
the cache; the next build of the issue starts from them instead of guesses.

(The single pass is left to target-counter(). Printing remembered numbers there too would
save the second layout WeasyPrint gives each page whose page reference it learns late, a
fifth to a third of the layout (bench/layout_costs.py), and gives the same pages, but not the
same bytes: the PDF's structure tree lists the pages' marked content in another order.)
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from masthead.layout import furniture, pdf
from masthead.model.documents import PAGES, Kind, RenderedIssue
from masthead.runtime import workers
from masthead.runtime.cache import Cache, package_stamp
from masthead.runtime.cache import key as cache_key
from masthead.runtime.safexml import XHTML, parse

CHUNK_WORDS = 40_000  # words of articles in a chunk: ~50 pages in two columns, ~100 MB in a worker
# Below this, chunks of EDIT_CHUNK_WORDS: the whole issue fits in one worker's memory, so
# chunks are cut small, for an edit to lay out few pages again.
ONE_PASS_WORDS = 150_000
# Below this, one pass: an edit lays the issue out again, but that takes a few seconds, and a
# cold build in chunks costs about a second round of layout (its guessed setups are wrong).
EDIT_WORDS = 50_000
EDIT_CHUNK_WORDS = 10_000  # about one story of strand-1891, a dozen pages in two columns
LINK_BASE = pdf.BASE_URL + "issue#"  # a link into another chunk, until the join makes it internal again
# (not BASE_URL + "#": WeasyPrint takes that for its own document and drops a missing id)
PAGE_ATTRIBUTE = furniture.PAGE_ATTRIBUTE  # on every link to an id: the page number target-counter() would show
GUESS_WORDS_PER_PAGE = 600  # first round only: how many digits folios and references will have
LATE = furniture.LATE  # on a number another article gives: zeros in the chunk, written by the join
LATE_KEY = "#late-"  # its key among a setup's numbers (no id begins with "#")




class Printed(NamedTuple):
    data: bytes | None  # the PDF, when it was asked for
    starts: list[pdf.PageStart]  # every page's start, with the issue's folios (for the EPUB page list)
    pages: int


class Setup(NamedTuple):
    """What a chunk's layout depends on beyond its content. Furnished (furniture.py), only the
    side of its first page and the count of digits of each number: start is 1 (a recto) or 2,
    and the numbers are zeros, set after the join."""

    start: int  # its first folio (1 or 2 when furnished)
    numbers: tuple[tuple[str, str], ...]  # (linked id, the page number printed for it, or zeros)
    furnished: bool = True  # drawn without its margin boxes, which the furniture document draws


class Chunk(NamedTuple):
    issue: RenderedIssue  # the print document is this chunk; the other documents are only named
    css: str  # rules printing PAGE_ATTRIBUTE where the theme prints target-counter(attr(href), page)
    refs: tuple[tuple[str, int], ...]  # (id, its chunk) for each id a link here names
    wanted: frozenset[str]  # ids here that links name: their pages are reported
    words: int
    late: tuple[str, ...] = ()  # the numbers of its LATE elements, which its document shows as zeros
    counted: bool = False  # the theme shows counter(page) in content: laid out at its true first folio

    def numbered(self) -> tuple[str, ...]:
        """What its setup's numbers are for: the ids its links name, then its late numbers."""
        return tuple(ref for ref, _ in self.refs) + tuple(f"{LATE_KEY}{k}" for k in range(len(self.late)))


class Laid(NamedTuple):
    """A chunk's layout, as a worker reports it."""

    setup: Setup
    pages: int
    anchors: dict[str, int]  # wanted id → index of its page in the chunk
    starts: list[pdf.PageStart]  # folios from 1, the chunk's first page
    bookmarks: list[tuple[int, str, str]]  # (level, label, state), in order
    data: bytes | None
    warnings: list[str]
    infos: list[furniture.PageInfo]  # what each page's furniture depends on
    sided: bool  # its pages depend on the side it begins on (furniture.sided)
    furnished: bool  # drawn without margin boxes (setup.furnished, unless the theme's need the chunk)
    patchable: bool  # its links' numbers can be set after the join (furniture.patchable)


class Settled(NamedTuple):
    """The chunks' layouts once every setup is right, and what the join needs besides."""

    results: list[Laid]
    starts: list[int]  # each chunk's first folio in the issue
    numbers: list[dict[str, str]]  # each chunk's links' page numbers, by linked id
    furniture: bytes | None  # the furniture document's PDF, when a chunk is furnished and a PDF asked for
    shifts: list[list[tuple[float, float]]]  # per chunk, per page: how far its content moves (CSS px)
    over: tuple[bool, ...] = ()  # per page of the issue: its furniture drawn over its content (furniture.furnished_pages)


def run(issue: RenderedIssue, *, jobs: int | None, want_pdf: bool, warn: Callable[[str], None],
        cache: Cache | None = None) -> Printed:
    """Lay out the print document (and write the PDF when ``want_pdf``), in chunks when it is
    big; ``cache`` remembers the page numbers of one build for the next."""
    cache = cache or Cache(None)
    chunks = plan(issue)
    if chunks is None:
        with pdf.laid_out(issue, warn) as document:
            return Printed(pdf.write(issue, document) if want_pdf else None, pdf.page_starts(issue, document),
                           len(document.pages))
    remembered = _remembered_setups(cache, issue, chunks)
    settled = _lay_out_all(chunks, jobs, want_pdf, remembered, cache)
    results = settled.results
    _remember(cache, "pdf-setups", _setups_key(issue, chunks), [[r.setup.start, list(map(list, r.setup.numbers)),
                                                                  r.setup.furnished] for r in results])
    del chunks  # their documents: the join needs the memory
    for message in dict.fromkeys(m for result in results for m in result.warnings):  # once, not once a chunk
        warn(message)
    starts = [s._replace(folio=s.folio + first - 1) for result, first in zip(results, settled.starts, strict=True)
              for s in result.starts]
    data = None
    if want_pdf:
        from masthead.layout import pdfjoin

        parts = [r.data for r in results if r.data is not None]
        if len(parts) != len(results):  # _lay_out_all writes every chunk when want_pdf
            raise RuntimeError("PDF: a chunk was laid out but not written")
        patches = [{i: numbers[ref] for i, (ref, _) in enumerate(r.setup.numbers)} if _patched(r) else None
                   for r, numbers in zip(results, settled.numbers, strict=True)]
        data = pdfjoin.join(parts, [r.bookmarks for r in results], LINK_BASE, furniture=settled.furniture,
                            furnished=[r.furnished for r in results], shifts=settled.shifts, numbers=patches,
                            over=settled.over)
    return Printed(data, starts, sum(r.pages for r in results))


# ------------------------------------------------------------------------------ remembered setups


def _remembered(cache: Cache, kind: str, key: str):
    import json

    data = cache.get(kind, key)
    try:
        return json.loads(data) if data else None
    except ValueError:  # a damaged entry is only a slower build
        return None


def _remember(cache: Cache, kind: str, key: str, value) -> None:
    import json

    cache.put(kind, key, json.dumps(value, sort_keys=True).encode("utf-8"))


# ------------------------------------------------------------------------------ the plan


def plan(issue: RenderedIssue) -> list[Chunk] | None:
    """The chunks of the print document, front first; None when it is small enough for one pass."""
    (document,) = issue.documents_of(Kind.PRINT)
    root = parse(document.content, huge_tree=True)
    head, body = root.find(f"{{{XHTML}}}head"), root.find(f"{{{XHTML}}}body")
    children = list(body)
    first = next((i for i, child in enumerate(children) if _is_article(child)), len(children))
    words = [_words(child) if _is_article(child) else 0 for child in children]
    size = _chunk_words(sum(words))
    if size is None:
        return None
    if max(words) > CHUNK_WORDS:  # a long article is cut into parts, each a chunk's
        children = [part for child, count in zip(children, words, strict=True)
                    for part in (_cut(child) if count > CHUNK_WORDS else [child])]
        words = [_words(child) if _is_article(child) else 0 for child in children]
    groups: list[list[int]] = [list(range(first))]
    current: list[int] = []
    count = 0
    for i in range(first, len(children)):
        if _is_article(children[i]):  # a new chunk when this one is full, or half full and a section begins
            section = "section-start" in (children[i].get("class") or "").split()
            half = count >= size // 2 and (section or _cut_before(children[i]))
            if current and (count + words[i] > size or half or children[i].get(pdf.CONTINUES) is not None):
                groups.append(current)
                current, count = [], 0
            count += words[i]
        current.append(i)
    groups.append(current)

    owner = {element.get("id"): g for g, group in enumerate(groups) for i in group
             for element in children[i].iter() if isinstance(element.tag, str) and element.get("id")}
    refs: list[dict[str, int]] = [{} for _ in groups]
    for g, group in enumerate(groups):
        for i in group:
            for element in children[i].iterfind(".//*[@href]"):
                href = element.get("href")
                target = unquote(href[1:]) if href.startswith("#") else None
                if target is not None and target in owner:
                    refs[g][target] = owner[target]
                    if owner[target] != g:  # WeasyPrint drops a "#id" it does not hold
                        element.set("href", LINK_BASE + href[1:])
    wanted = [frozenset(t for r in refs for t, o in r.items() if o == g) for g in range(len(groups))]

    numbered = "\n".join(rule for css in _styles(issue, head) for rule in _numbered_rules(css))
    counted = any(_counts_pages(css) for css in _styles(issue, head))
    resources = tuple(r for r in issue.resources if "pdf" in r.targets)
    later = tuple(r._replace(data=_without_first(r.data.decode("utf-8")).encode("utf-8"))
                  if r.media_type == "text/css" else r for r in resources)
    others = tuple(d._replace(content=b"") for d in issue.documents_of(*PAGES))
    chunks = []
    for g, group in enumerate(groups):
        chunk_head = copy.deepcopy(head)
        if g:  # @page :first means the issue's first page, which no later chunk holds
            for style in chunk_head.iterfind(f"{{{XHTML}}}style"):
                style.text = _without_first(style.text or "")
        late = _zeroed([children[i] for i in group])
        content = _document(root, chunk_head, body, [children[i] for i in group])
        slim = issue._replace(documents=(document._replace(content=content), *others),
                              resources=later if g else resources, toc=(), page_list=(), accessibility=None)
        chunks.append(Chunk(slim, numbered, tuple(sorted(refs[g].items())), wanted[g],
                            sum(words[i] for i in group), late, counted))
    return chunks


def _zeroed(elements: list) -> tuple[str, ...]:
    """The numbers of the LATE elements in ``elements`` (each its text's first run of digits),
    in document order, each now zeros of as many digits in the text and numbered (LATE's value)
    in that order. An element with children, or without an ASCII number, is left as it is."""
    found: list[str] = []
    for element in (e for child in elements for e in child.iter() if isinstance(e.tag, str) and e.get(LATE) is not None):
        match = re.search(r"[0-9]+", element.text or "") if len(element) == 0 else None
        if match is None:
            del element.attrib[LATE]
            continue
        element.set(LATE, str(len(found)))
        found.append(match.group())
        element.text = element.text[:match.start()] + "0" * len(match.group()) + element.text[match.end():]
    return tuple(found)


def _cut_before(article) -> bool:
    """Whether a chunk at least half full ends before this article: for one article in two,
    chosen by its id, the same in every build. So where chunks end depends on the articles
    near the end, not on the words of all the articles before: after an article grows, the
    chunks are cut as before from the next such article on, and their layouts are reused
    (cut only when full, each chunk after a longer article would begin an article later)."""
    import hashlib

    return hashlib.md5((article.get("id") or "").encode("utf-8")).digest()[0] % 2 == 0


def _chunk_words(total: int) -> int | None:
    """The words of a chunk for an issue of ``total`` words of articles; None for one pass."""
    if total >= max(CHUNK_WORDS, ONE_PASS_WORDS):
        return CHUNK_WORDS
    if total >= EDIT_WORDS:
        return min(EDIT_CHUNK_WORDS, CHUNK_WORDS)
    return None


def _words(element) -> int:
    return sum(len(text.split()) for text in element.itertext())


_HEADINGS = frozenset(f"{{{XHTML}}}{name}" for name in ("h1", "h2", "h3", "h4", "h5", "h6"))


def _cut(section) -> list:
    """A long article's section cut, between blocks of its body, into parts of at most
    CHUNK_WORDS words (a block longer than that stays whole): each part is a chunk's, so the
    memory a worker needs does not grow with the article (a 200,000-word novel in one chunk
    took 335 MB in its worker). A part begins before a heading when one comes once it is
    half full, and never just after one. A part after the first is a section of its own,
    ``CONTINUES`` naming the article, whose running head and footnote numbers go on from
    the part before; it begins a page, as every chunk does. Returns [section] where the
    theme's article has no plain ``article-body`` to cut."""
    body = section.find(f".//{{{XHTML}}}div[@class='article-body']")
    if body is None or body.getparent() is None:
        return [section]
    blocks = [block for block in body if isinstance(block.tag, str)]
    sizes = [_words(block) for block in blocks]
    cuts: list[int] = []
    count = _words(section) - sum(sizes)  # the first part holds the head too
    for i, size in enumerate(sizes):
        heading = blocks[i].tag in _HEADINGS
        if i and count and (count + size > CHUNK_WORDS or (heading and count >= CHUNK_WORDS // 2)):
            at = i
            while at - 1 > (cuts[-1] if cuts else 0) and blocks[at - 1].tag in _HEADINGS:
                at -= 1  # a heading goes over with what it introduces
            cuts.append(at)
            count = sum(sizes[at:i])
        count += size
    if not cuts:
        return [section]
    label = section.find(f".//{{{XHTML}}}p[@class='section-label']")
    running = " ".join("".join(label.itertext()).split()) if label is not None else None
    article = body.getparent()
    parts, seen = [section], 0
    for before, start, end in zip([0, *cuts], cuts, [*cuts[1:], len(blocks)], strict=False):
        seen += sum(1 for block in blocks[before:start] for span in block.iter(f"{{{XHTML}}}span")
                    if "print-footnote" in (span.get("class") or "").split())
        style = f"counter-reset: footnote {seen};"  # (the class's rule resets it to 0)
        if running is not None:
            style += ' string-set: section "{}";'.format(running.replace("\\", "\\\\").replace('"', '\\"'))
        part = etree.Element(section.tag, {"class": "print-article print-continued",
                                           "data-section": section.get("data-section", ""),
                                           pdf.CONTINUES: section.get("id", ""), "style": style})
        part.text = "\n"
        inner = etree.SubElement(part, article.tag, dict(article.attrib))
        inner.text = "\n"
        inner_body = etree.SubElement(inner, body.tag, dict(body.attrib))
        # Hidden, first: the body's first paragraph is not the article's (no raised initial).
        mark = etree.SubElement(inner_body, f"{{{XHTML}}}span", {"class": "print-continued-mark", "style": "display: none"})
        mark.text = " "  # never <span/>: WeasyPrint reads the document as HTML, where that opens a span
        inner_body.extend(blocks[start:end])
        inner_body.tail = inner.tail = "\n"
        parts.append(part)
    end = article.find(f"{{{XHTML}}}div[@class='article-end']")
    if end is not None:  # the last block and "More from" stay with the text's end
        parts[-1][0].append(end)
    return parts


def _is_article(element) -> bool:
    return element.tag == f"{{{XHTML}}}section" and "print-article" in (element.get("class") or "").split()


def _styles(issue: RenderedIssue, head) -> list[str]:
    """The text of every stylesheet the document's head links or holds."""
    styles = [_stylesheet(issue, link.get("href")) for link in head.iterfind(f"{{{XHTML}}}link[@rel='stylesheet']")]
    return styles + [style.text or "" for style in head.iterfind(f"{{{XHTML}}}style")]


def _stylesheet(issue: RenderedIssue, href: str | None) -> str:
    found = [r for r in issue.resources_for("pdf") if r.name == href and r.media_type == "text/css"]
    return found[0].data.decode("utf-8") if found else ""


def _document(root, head, body, children: list) -> bytes:
    """A complete XHTML document: ``root``'s attributes, ``head``, and ``children`` in a copy of ``body``."""
    out = etree.Element(root.tag, dict(root.attrib), nsmap=root.nsmap)
    out.text = root.text
    out.append(head)
    new_body = etree.SubElement(out, body.tag, dict(body.attrib))
    new_body.text, new_body.tail = body.text, body.tail
    new_body.extend(children)  # moved, not copied: the whole document is not needed again
    return etree.tostring(out, xml_declaration=True, encoding="UTF-8", doctype="<!DOCTYPE html>")


# ------------------------------------------------------------------------------ CSS for chunks


_TARGET_COUNTER = re.compile(r"target-counter\(\s*attr\(\s*href(?:\s+url)?\s*\)\s*,\s*page\s*(?:,[^)]*)?\)", re.I)
_PSEUDO_END = re.compile(r"(::?(?:before|after|marker))\s*$", re.I)


def _numbered_rules(css: str) -> list[str]:
    """For each rule whose content shows ``target-counter(attr(href), page)``, the same content
    with the number taken from PAGE_ATTRIBUTE, which every link to an id in the issue has."""
    import tinycss2

    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            value = tinycss2.serialize(declaration.value) if declaration.type == "declaration" else ""
            if declaration.type != "declaration" or declaration.lower_name != "content" \
                    or not _TARGET_COUNTER.search(value):
                continue
            selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
            marked = ", ".join(_PSEUDO_END.sub(rf"[{PAGE_ATTRIBUTE}]\1", s) if _PSEUDO_END.search(s)
                               else f"{s}[{PAGE_ATTRIBUTE}]" for s in selectors)
            shown = _TARGET_COUNTER.sub(f"attr({PAGE_ATTRIBUTE})", value)
            out.append(f"{marked} {{ content: {shown.strip()}{' !important' if declaration.important else ''}; }}")
    return out


def _counts_pages(css: str) -> bool:
    """Whether a rule outside @page shows the page counter (``counter(page)`` in content): a
    chunk showing it cannot be laid out but at its true first folio."""
    import tinycss2

    def walk(rules) -> bool:
        for rule in rules:
            if rule.type == "at-rule" and rule.lower_at_keyword == "page":
                continue
            if rule.type == "at-rule" and rule.content is not None:
                if walk(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)):
                    return True
            elif rule.type == "qualified-rule" and re.search(r"counters?\(\s*pages?\b", tinycss2.serialize(rule.content), re.I):
                return True
        return False

    return "page" in css and walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _without_first(css: str) -> str:
    """The stylesheet without its ``@page :first`` selectors (a rule left with none goes)."""
    import tinycss2

    if ":first" not in css:
        return css
    out = []
    for rule in tinycss2.parse_stylesheet(css):
        if rule.type == "at-rule" and rule.lower_at_keyword == "page" and rule.content is not None:
            selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
            kept = [s for s in selectors if not re.search(r":first\b", s, re.I)]
            if not kept:
                continue
            if len(kept) < len(selectors):
                out.append(f"@page {', '.join(kept)} {{{tinycss2.serialize(rule.content)}}}")
                continue
        out.append(tinycss2.serialize([rule]))
    return "".join(out)


# ------------------------------------------------------------------------------ the rounds


def _setups_key(issue: RenderedIssue, chunks: list[Chunk]) -> str:
    return cache_key("pdf-setups", issue.meta.identifier, *(f"{ref}:{owner}" for c in chunks for ref, owner in c.refs),
                     str(len(chunks)))


def _remembered_setups(cache: Cache, issue: RenderedIssue, chunks: list[Chunk]) -> list[Setup] | None:
    """The setups the last build of this issue settled on, when they fit these chunks."""
    value = _remembered(cache, "pdf-setups", _setups_key(issue, chunks))
    try:
        setups = [Setup(int(start), tuple((str(ref), str(number)) for ref, number in numbers), bool(furnished))
                  for start, numbers, furnished in value]
    except (TypeError, ValueError):
        return None
    fits = len(setups) == len(chunks) and all(tuple(ref for ref, _ in setup.numbers) == chunk.numbered()
                                              for setup, chunk in zip(setups, chunks, strict=True))
    return setups if fits else None


def _chunk_keys(chunks: list[Chunk]) -> list[str]:
    """What each chunk's layout depends on beyond its setup: its document, the numbered rules,
    its resources (fonts, images, stylesheets), WeasyPrint's version and masthead's code."""
    keys = []
    for chunk in chunks:
        parts: list[str | bytes] = [package_stamp("weasyprint"), chunk.css, "furnished"]
        parts += [d.content for d in chunk.issue.documents if d.kind == Kind.PRINT]
        parts += _resource_stamps(chunk.issue)
        parts += [chunk.issue.meta.identifier, repr(chunk.issue.pdf)]
        keys.append(cache_key("pdf-chunk", *parts))
    return keys


def _resource_stamps(issue: RenderedIssue) -> list[str]:
    """Each resource the PDF reads (fonts, images, stylesheets), by name and content, for a cache key."""
    import hashlib

    return [f"{r.name} {hashlib.sha256(r.data).hexdigest()}" for r in issue.resources if "pdf" in r.targets]


def _cached_layout(cache: Cache, chunk_key: str, setup: Setup, write: bool) -> Laid | None:
    """A chunk's layout with ``setup`` from the cache (with its PDF when ``write``), or None
    (a damaged entry is only a slower build)."""
    key = cache_key(chunk_key, repr(setup), str(write))
    meta = _remembered(cache, "pdf-chunks", key)
    data = cache.get("pdf-chunks", key + "-pdf") if write else None
    if not isinstance(meta, dict) or (write and data is None):
        return None
    try:
        infos = [furniture.PageInfo(str(name), bool(blank), str(side), tuple(float(v) for v in box),
                                    tuple((str(n), tuple(str(v) for v in values)) for n, values in strings), False,
                                    tuple(str(n) for n in starts))
                 for name, blank, side, box, strings, starts in meta["infos"]]
        return Laid(setup, int(meta["pages"]), {str(k): int(v) for k, v in meta["anchors"].items()},
                    [pdf.PageStart(int(f), str(d), str(t)) for f, d, t in meta["starts"]],
                    [(int(level), str(label), str(state)) for level, label, state in meta["bookmarks"]],
                    data, [str(w) for w in meta["warnings"]], infos, bool(meta["sided"]), bool(meta["furnished"]),
                    bool(meta["patchable"]))
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _keep_layout(cache: Cache, chunk_key: str, laid: Laid, write: bool) -> None:
    key = cache_key(chunk_key, repr(laid.setup), str(write))
    if write and laid.data is not None:
        cache.put("pdf-chunks", key + "-pdf", laid.data)
    _remember(cache, "pdf-chunks", key, {"pages": laid.pages, "anchors": laid.anchors, "starts": [list(s) for s in laid.starts],
                                         "bookmarks": [list(b) for b in laid.bookmarks], "warnings": laid.warnings,
                                         "infos": [[i.name, i.blank, i.side, list(i.box), [[n, list(v)] for n, v in i.strings],
                                                    list(i.starts)] for i in laid.infos],
                                         "sided": laid.sided, "furnished": laid.furnished, "patchable": laid.patchable})


class _Bound(NamedTuple):
    """What a build learned a chunk cannot do, kept for the rest of the build (so that its
    setup cannot go back and forth between two rounds)."""

    drawn: set[int]  # chunks that draw their own margin boxes (the theme's need their content)
    sided: set[int]  # chunks laid out on the side they begin on
    numbered: set[int]  # chunks that print their true page numbers


def _lay_out_all(chunks: list[Chunk], jobs: int | None, want_pdf: bool, remembered: list[Setup] | None = None,
                 cache: Cache | None = None) -> Settled:
    """Every chunk laid out (and written) with its true setup, in ``jobs`` processes (default:
    the cores), started as workers.py starts them; then the furniture document.

    In rounds: each round lays out, in parallel, the chunks whose setup differs from the one
    their last layout used, then the setups are worked out again from all the results. (Not
    sooner: a chunk resubmitted as each result arrives was laid out once per result before
    it, when page counts moved.) The front chunk goes last in a round: it is short, and
    fills the end of the round when the other process has nothing left to do.

    A furnished chunk's setup changes only when the count of digits of one of its numbers does
    (or, for a chunk bound to its side, its side): after an edit, whatever pages it moved, the
    edited chunk is laid out again and the others come from the cache. With guessed digits
    right, a cold build takes one round. When the setups settle, the furniture document is
    laid out for the pages they give; a chunk whose pages would not fit the other side's
    content box is bound to its side, and laid out again."""
    results: list[Laid | None] = [None] * len(chunks)
    setups = remembered or _guesses(chunks)
    cache = cache or Cache(None)
    keys = _chunk_keys(chunks) if cache.folder is not None or cache.memory is not None else None
    bound = _Bound(set(), set(), set())
    with workers.pool(workers.count(jobs, len(chunks)), ["masthead.layout.pdfchunks", "weasyprint"]) as pool:
        try:
            for _round in range(2 * len(chunks) + 2):
                todo = [i for i, (result, setup) in enumerate(zip(results, setups, strict=True))
                        if result is None or result.setup != setup or (want_pdf and result.data is None)]
                if todo:
                    kept = {i: _cached_layout(cache, keys[i], setups[i], want_pdf) for i in todo} if keys else {}
                    futures = {i: pool.submit(_lay_out, chunks[i], setups[i], want_pdf)
                               for i in sorted(todo, key=lambda i: i == 0) if kept.get(i) is None}  # the front last
                    for i, laid in kept.items():
                        if laid is not None:
                            results[i] = laid
                    for i, future in futures.items():
                        results[i] = future.result()
                        if keys:
                            _keep_layout(cache, keys[i], future.result(), want_pdf)
                    _learn(bound, _laid(results), want_pdf)
                    setups = _setups(chunks, _laid(results), bound)
                    continue
                done = _laid(results)
                starts, numbers = _true(chunks, done)
                if not any(r.furnished for r in done):
                    return Settled(done, starts, numbers, None, [[] for _ in done])
                furnished = _furnish(pool, cache, chunks[0], done, want_pdf)
                if furnished is None:  # the furniture document failed: every chunk draws its own
                    bound.drawn.update(range(len(chunks)))
                else:
                    shifts, misfits = _shifts(done, furnished[1])
                    if not misfits:
                        return Settled(done, starts, numbers, furnished[0], shifts, tuple(not p.opaque for p in furnished[1]))
                    # On its side and still not the furniture's size (a page rule the chunk reads
                    # otherwise: :nth(), :first in @media): it draws its own margin boxes.
                    bound.drawn.update(misfits & bound.sided)
                    bound.sided.update(misfits)
                setups = _setups(chunks, done, bound)
        except BaseException as exc:
            pool.shutdown(wait=False, cancel_futures=True)
            if isinstance(exc, KeyboardInterrupt):  # Ctrl-C, or the daemon's client gone: not a wait
                _stop(pool)                          # for the chunks under way (seconds each)
            raise
    raise RuntimeError(f"PDF: the page numbers of the chunks did not settle in {2 * len(chunks) + 2} rounds")


def _learn(bound: _Bound, results: list[Laid], written: bool) -> None:
    for i, result in enumerate(results):
        if result.setup.furnished and not result.furnished:
            bound.drawn.add(i)
        if written and not result.patchable:
            bound.numbered.add(i)


def _patched(result: Laid) -> bool:
    """Whether the chunk's numbers were laid out as zeros, for the join to set."""
    return result.patchable and all(set(number) <= {"0"} for _, number in result.setup.numbers)


def _furnish(pool, cache: Cache, front: Chunk, results: list[Laid], write: bool):
    """The furniture document for the pages the chunks give (its PDF when ``write``, and its
    pages), from the cache or laid out in a worker; None when it could not be made."""
    import json

    infos = [info for result in results for info in result.infos]
    (document,) = front.issue.documents_of(Kind.PRINT)
    source = furniture.html(document.content, infos)
    if source is None:
        return None
    key = cache_key("pdf-furniture", package_stamp("weasyprint"), source, str(write), front.issue.meta.identifier,
                    repr(front.issue.pdf), *_resource_stamps(front.issue))
    meta = _remembered(cache, "pdf-furniture", key)
    data = cache.get("pdf-furniture", key + "-pdf") if write else None
    if isinstance(meta, list) and (data is not None or not write):
        try:
            return data, [furniture.PageInfo(str(n), bool(b), str(s), tuple(float(v) for v in box), (), bool(o))
                          for n, b, s, box, o in meta]
        except (TypeError, ValueError):
            pass  # a damaged entry: laid out again
    made = pool.submit(_furniture_layout, front, source, infos, write).result()
    if made is None:
        return None
    cache.put("pdf-furniture", key, json.dumps([[i.name, i.blank, i.side, list(i.box), i.opaque] for i in made[1]]).encode("utf-8"))
    if write and made[0] is not None:
        cache.put("pdf-furniture", key + "-pdf", made[0])
    return made


def _shifts(results: list[Laid], pages: list[furniture.PageInfo]) -> tuple[list[list[tuple[float, float]]], set[int]]:
    """For each furnished chunk's pages, how far the furniture page's content box is from the
    one the chunk was laid out in; and the chunks whose pages' boxes differ in size."""
    shifts: list[list[tuple[float, float]]] = []
    misfits: set[int] = set()
    at = 0
    for i, result in enumerate(results):
        moves = []
        for info, page in zip(result.infos, pages[at:at + result.pages], strict=True):
            width, height, x, y, w, h = info.box
            page_width, page_height, px, py, pw, ph = page.box
            if (width, height, w, h) != (page_width, page_height, pw, ph):
                misfits.add(i)
            moves.append((round(px - x, 4), round(py - y, 4)) if result.furnished else (0.0, 0.0))
        shifts.append(moves)
        at += result.pages
    return shifts, {i for i in misfits if results[i].furnished}


def _stop(pool) -> None:
    """End the pool's worker processes now (ProcessPoolExecutor has no public way before 3.14)."""
    import contextlib

    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):  # gone already, or closed
            process.terminate()


def _laid(results: list[Laid | None]) -> list[Laid]:
    """The results of a round, each chunk's: after the first round, which lays out every
    chunk, none is None."""
    laid = [result for result in results if result is not None]
    if len(laid) != len(results):
        raise RuntimeError("PDF: a chunk was not laid out")
    return laid


def _guesses(chunks: list[Chunk]) -> list[Setup]:
    """First-round setups: furnished, on a recto, with as many zeros for each number as the page
    it names likely has digits, guessed from the words before it."""
    starts, page = [], 1
    for chunk in chunks:
        starts.append(page)
        page += 1 + chunk.words // GUESS_WORDS_PER_PAGE
    return [Setup(starts[i] if chunk.counted else 1, tuple((ref, "0" * len(str(starts[owner]))) for ref, owner in chunk.refs)
                  + tuple((f"{LATE_KEY}{k}", "0" * len(number)) for k, number in enumerate(chunk.late)))
            for i, chunk in enumerate(chunks)]


def _true(chunks: list[Chunk], results: list[Laid]) -> tuple[list[int], list[dict[str, str]]]:
    """Each chunk's first folio in the issue, and the page numbers of the ids its links name,
    as the latest layouts of all the chunks give them."""
    starts = [1]
    for result in results[:-1]:
        starts.append(starts[-1] + result.pages)
    numbers = [{ref: str(starts[owner] + results[owner].anchors[ref]) if ref in results[owner].anchors else ""
                for ref, owner in chunk.refs} | {f"{LATE_KEY}{k}": number for k, number in enumerate(chunk.late)}
               for chunk in chunks]
    return starts, numbers


def _setups(chunks: list[Chunk], results: list[Laid], bound: _Bound | None = None) -> list[Setup]:
    """Each chunk's setup as the latest layouts of all the chunks give it: furnished, a recto
    (or its side, when bound to it) and zeros; else its true first folio and numbers."""
    bound = bound or _Bound(set(), set(), set())
    starts, numbers = _true(chunks, results)
    setups = []
    for i, chunk in enumerate(chunks):
        furnished = i not in bound.drawn
        if not furnished or chunk.counted:
            start = starts[i]
        elif i in bound.sided or results[i].sided:
            start = 2 - starts[i] % 2
        else:
            start = 1
        patch = i not in bound.numbered
        setups.append(Setup(start, tuple((key, "0" * len(numbers[i][key]) if patch else numbers[i][key])
                                         for key in chunk.numbered()), furnished))
    return setups


# ------------------------------------------------------------------------------ in a worker


def _lay_out(chunk: Chunk, setup: Setup, write: bool) -> Laid:
    """Lay out one chunk with its setup (in a worker process); the PDF too when ``write``."""
    issue = chunk.issue._replace(documents=tuple(d._replace(content=_prepared(d.content, setup, chunk.css))
                                                 if d.kind == Kind.PRINT else d for d in chunk.issue.documents))
    warnings: list[str] = []
    with furniture.hooks(setup.furnished) as state, pdf.laid_out(issue, warnings.append) as document:
        state.furnish = setup.furnished and furniture.can_furnish(state)
        infos = furniture.pages(document, state)
        if state.furnish:
            furniture.strip(document)
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for name in page.anchors:
                if name in chunk.wanted:
                    anchors.setdefault(name, index)
        starts = pdf.page_starts(issue, document)
        bookmarks = [(level, label, state_) for page in document.pages for level, label, _, state_ in page.bookmarks]
        data = pdf.write(issue, document) if write else None
        patchable = furniture.patchable(document, state) if write else True
        return Laid(setup, len(document.pages), anchors, starts, bookmarks, data, warnings, infos,
                    furniture.sided(document), state.furnish, patchable)


def _furniture_layout(front: Chunk, source: bytes, infos: list[furniture.PageInfo], write: bool):
    """The furniture document laid out (in a worker): its PDF when ``write``, and its pages;
    None when its pages are not those the chunks asked for (count, names, blanks)."""
    (document,) = front.issue.documents_of(Kind.PRINT)
    issue = front.issue._replace(documents=tuple(d._replace(content=source) if d is document else d
                                                 for d in front.issue.documents))
    with pdf.laid_out(issue) as laid:
        pages = furniture.furnished_pages(laid)
        if [(p.name, p.blank) for p in pages] != [(i.name, i.blank) for i in infos]:
            return None
        return (pdf.write(issue, laid) if write else None), pages


def _prepared(content: bytes, setup: Setup, css: str) -> bytes:
    """The chunk's document with its folios, side and the numbers of its links into other chunks."""
    root = parse(content, huge_tree=True)
    numbers = dict(setup.numbers)
    index = {ref: str(i) for i, (ref, _) in enumerate(setup.numbers)}
    for element in root.iterfind(".//*[@href]"):
        href = element.get("href")
        name = unquote(href[len(LINK_BASE):] if href.startswith(LINK_BASE) else href[1:] if href[:1] == "#" else "")
        if name in numbers:
            element.set(PAGE_ATTRIBUTE, numbers[name])
            element.set(furniture.REF_ATTRIBUTE, index[name])
    for element in root.iterfind(f".//*[@{LATE}]"):  # (zeros, from plan: the setup's digits, zeros or the number)
        key = f"{LATE_KEY}{element.get(LATE)}"
        element.text = re.sub(r"[0-9]+", numbers[key], element.text or "", count=1)
        element.set(furniture.REF_ATTRIBUTE, index[key])
    style = etree.SubElement(root.find(f"{{{XHTML}}}head"), f"{{{XHTML}}}style")
    # The page counter is reset in @page, not in content: that would zero target-counter()
    # (WeasyPrint #2114) where a theme uses it beyond links. The root's break-before makes
    # the first page a left or right one (WeasyPrint reads it for the first page's side), so
    # each page has the margins and running heads of its side in the whole issue.
    style.text = (f"\n@page :first {{ counter-reset: page {setup.start - 1}; counter-increment: page 1; }}\n"
                  f"html {{ break-before: {'recto' if setup.start % 2 else 'verso'}; }}\n{css}\n")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype="<!DOCTYPE html>")
