"""Articles (Markdown, HTML: any file a reader reads) → clean XHTML fragments, metadata and assets.

For each manifest entry: read the file and have the reader of its format
(:mod:`masthead.content.readers.registry`) decode it, take its metadata (front matter or
``<meta>``) and parse the body into a tree; pass that tree through
:mod:`masthead.content.sanitize`, shape it for e-readers (footnotes as noteref/footnote pairs,
lone images as figures, headings below the headline), resolve every link and image against the
issue's files, and serialize it. Links between articles become links between their documents
(``other.xhtml#id``); a fragment that names no element is reported and dropped, so no output
ever carries a dead link.
"""

from __future__ import annotations

import bisect
import difflib
import errno
import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast
from urllib.parse import unquote

from lxml import etree
from markupsafe import Markup

from masthead.content import images, sanitize, shape
from masthead.content.readers import markdown, registry
from masthead.content.sanitize import MAX_DEPTH, TooDeep, clean
from masthead.diagnostics import Position, Report
from masthead.model.issue import Advert, AdvertEntry, Article, Asset, Issue, Manifest, Section
from masthead.runtime import confine, i18n, urls
from masthead.runtime.cache import Cache
from masthead.runtime.safexml import (
    XHTML,
    escape_text,
    local_name,
    serialize_fragment,
    xml_text,
)

MAX_ARTICLE_BYTES = 16 * 1024 * 1024


@dataclass
class _Draft:
    """An article between parsing and serializing: links are checked across the issue first."""

    entry_pos: Position
    root: Path
    source: Path
    id: str
    fields: dict
    tree: etree._Element | None  # the clean <div> holding the body, until it is serialized into ``body``
    text: str  # the source, to find where a reference stands
    token: str = ""  # names this article's link placeholders; a hash of its text, so no text can forge one
    body: str = ""  # the serialized tree, links still placeholders (see _check_links)
    ids: frozenset = frozenset()  # every id in the body, for links from other articles
    renamed: dict = field(default_factory=dict)  # an id as written → as carried, where they differ ("x y" → "x-y")
    prefixes: set[str] = field(default_factory=set)  # epub:type prefixes the body uses
    declared: dict[str, str] = field(default_factory=dict)  # and what they stand for
    assets: dict[str, Asset] = field(default_factory=dict)
    links: list = field(default_factory=list)  # (target article id, fragment, position) by placeholder number
    images: int = 0
    images_without_alt: int = 0
    words: int = 0
    found: dict = field(default_factory=dict)  # (purpose, text) → where _locate last found it
    image_places: dict = field(default_factory=dict)  # an <img>'s src in the outputs → its places in the source
    body_start: int = 0  # where the body begins in ``text``, after a Markdown article's front matter
    resolved: dict = field(default_factory=dict)  # a URL without its fragment → the file it names
    line_starts: list = field(default_factory=list)  # where each line of ``text`` begins, while it is read
    places: dict | None = None  # where its reader says each URL stands (no text to search), while it is read
    embedded: dict = field(default_factory=dict)  # src → the bytes of a picture the file holds, while it is read
    # What reading depended on besides the article's bytes (see incremental.py):
    # ("file", resolved path, sha256) and ("resolve", root, base folder, reference, outcome).
    deps: list = field(default_factory=list)


def read_issue(m: Manifest, report: Report, jobs: int | None = None, stats: dict | None = None,
               store: Cache | None = None) -> Issue:
    """Read every article of the manifest; problems go to ``report``.

    Articles read before with the same inputs come from the cache, and a big issue is read in
    ``jobs`` processes (incremental.py); either way the result and the diagnostics, in order,
    are those of reading each article here. ``stats`` hears how many came from ``store``, the
    run's cache (none: every article is read).
    """
    from masthead.content import incremental

    entries = [e for s in m.sections for e in s.entries]
    ids = _article_ids([e.original or e.file for e in entries])  # an edition's translation: the original's id
    ids.update((e.file, ids[e.original]) for e in entries if e.original is not None)
    drafts: dict[Path, _Draft] = {}
    reads = incremental.read_all(entries, ids, m.meta, read_one, article_limit, jobs, stats, store)
    for entry, read in zip(entries, reads, strict=True):
        report.diagnostics.extend(read.diagnostics)
        if read.draft is not None:
            draft = cast(_Draft, read.draft)  # what read_one made: this module's draft
            drafts[entry.file] = replace(draft, links=list(draft.links))  # the cache's copy stays as read
    _check_links(drafts, report)
    sections = []
    for s in m.sections:
        articles = tuple(_finish(drafts[e.file], m.meta, report) for e in s.entries if e.file in drafts)
        sections.append(Section(s.title, articles))
    return Issue(m.meta, tuple(sections), _adverts(m.adverts, set(ids.values()), report,
                                                   _same_names([e.original or e.file for e in entries], ids)))


def _same_names(files: list[Path], ids: dict[Path, str]) -> dict[str, list[tuple[Path, str]]]:
    """For an id that files of the same name share (two "story.md" in two folders: "story" and
    "story-2"), each of those files and its id."""
    by_base: dict[str, list[tuple[Path, str]]] = {}
    for path in dict.fromkeys(files):
        by_base.setdefault(_article_ids([path])[path], []).append((path, ids[path]))
    return {id_: group for group in by_base.values() if len(group) > 1 for _, id_ in group}


def _adverts(entries: tuple[AdvertEntry, ...], article_ids: set[str], report: Report,
             same_names: dict[str, list[tuple[Path, str]]] | None = None) -> tuple[Advert, ...]:
    """The manifest's adverts, read: each picture through the images' checks (a file of the
    issue, not a link, that Pillow reads, within the pixel limit), each ``after:`` an article's id
    (said which, when files of one name in two folders share it)."""
    out = []
    taken = set(article_ids)
    for n, entry in enumerate(entries, 1):
        if entry.after is not None and entry.after not in article_ids:
            at = entry.after_position or entry.position
            close = difflib.get_close_matches(entry.after, sorted(article_ids), n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else f" (the articles: {', '.join(sorted(article_ids))})"
            report.error(at, f"'after: {entry.after}' names no article of the issue{hint}")
            continue
        if entry.after is not None and same_names and entry.after in same_names:
            group = same_names[entry.after]
            chosen = next(path for path, id_ in group if id_ == entry.after)
            others = "; ".join(f"{path.name} in {path.parent.name or '.'}/ is '{id_}'" for path, id_ in group if id_ != entry.after)
            report.warning(entry.after_position or entry.position,
                           f"'after: {entry.after}': {len(group)} articles have the file name {chosen.name}; this advert "
                           f"follows the one in {chosen.parent.name or '.'}/ ({others})")
        try:
            data = confine.read_input(entry.image, confine.IMAGE_LIMIT, follow=False)
            info = images.upright(data)  # its size as it shows: EXIF-rotated, turned upright
            if info.format == "SVG":
                raise images.ImageError("an advert is a picture (JPEG or PNG), not an SVG drawing")
            if info.format not in ("JPEG", "PNG") or images.animated(data):
                raise images.ImageError(f"an advert is one still picture, JPEG or PNG, not {_kind_of(info.format, data)}")
        except (images.ImageError, OSError) as exc:
            report.error(entry.image_position, f"'{entry.image.name}': {getattr(exc, 'strerror', None) or exc}")
            continue
        advert_id, k = f"advert-{n}", 2
        while advert_id in taken:
            advert_id, k = f"advert-{n}-{k}", k + 1
        taken.add(advert_id)
        name = f"adverts/{advert_id}{info.extension}"
        out.append(Advert(advert_id, entry, name, Asset(entry.image, name, entry.image_position), info.width, info.height))
    return tuple(out)


def _kind_of(format_name: str, data: bytes) -> str:
    """How an advert's refused picture is named: "an animated PNG", "a GIF" …"""
    if format_name == "PNG":
        return "an animated PNG"
    name = format_name or "picture of an unknown kind"
    return f"an {name}" if name[0] in "AEIOU" else f"a {name}"


def article_limit(path: Path) -> int:
    """The most bytes the article file ``path`` may have: its reader's ``max_bytes`` (a Word
    document holds its pictures), MAX_ARTICLE_BYTES otherwise."""
    return getattr(registry.reader_for(path), "max_bytes", MAX_ARTICLE_BYTES)


def _article_ids(files: list[Path]) -> dict[Path, str]:
    ids: dict[Path, str] = {}
    # names of the theme's documents, and of the web edition's and the catalogue's pages
    # (index.html is the issue's home page, issue.html its page in a publication's archive)
    taken: set[str] = {"cover", "contents", "nav", "colophon", "index", "issue"}
    for path in files:
        base = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode().lower()
        base = re.sub(r"[^a-z0-9]+", "-", base).strip("-") or "article"
        if not base[0].isalpha():
            base = f"a-{base}"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        ids[path] = slug
    return ids


# ---------------------------------------------------------------------------- reading


def read_one(entry, ids: dict[Path, str], meta) -> tuple[_Draft | None, tuple]:
    """One article read on its own (here, in a worker process, or for the cache): the draft,
    serialized (no tree: it pickles, and nothing needs to parse it again), and the
    diagnostics reading it gave."""
    report = Report()
    draft = _read(entry, ids, meta, report)
    return draft, tuple(report.diagnostics)


def _read(entry, ids: dict[Path, str], meta, report: Report) -> _Draft | None:
    path = entry.file
    reader = registry.reader_for(path)
    if reader is None:  # the manifest accepted it: a reader taken away since
        report.error(entry.position, registry.unsupported(path.name))
        return None
    try:
        raw = confine.read_input(path, article_limit(path), follow=False)  # resolved by the manifest
    except OSError as exc:
        if exc.errno == errno.EFBIG:  # the file's own fault, not the reference's
            report.error(Position(path, 1, 1), exc.strerror or str(exc))
        else:
            report.error(entry.position, f"cannot read '{path.name}': {exc.strerror}")
        return None
    root = meta.root
    got = reader.read(raw, path, entry, meta, report)  # a ReaderResult (readers/base.py)
    if got.body is None:
        return None
    fields, body, prefixes, text = got.fields, got.body, got.prefixes, got.text
    fields.update(entry.overrides)  # the manifest entry has the last word, key by key
    token = hashlib.sha256(raw).hexdigest()[:16]
    draft = _Draft(entry.position, root, path, ids[path], fields, None, text, token)
    draft.body_start = got.body_start  # a reference is searched for in the body
    draft.places = None if got.places is None else dict(got.places)
    draft.embedded = dict(got.embedded)
    draft.fields.setdefault("lang", got.lang or entry.language or meta.language)

    def rewrite(element: str, attr: str, url: str) -> str | None:
        return _rewrite_url(draft, element, attr, url, ids, root, report)

    title_heading = _title_heading(body)
    if "title" not in fields and title_heading is not None:
        fields["title"] = _text(title_heading)
    if title_heading is not None and _text(title_heading) == fields.get("title"):
        shape.remove(title_heading)  # the headline is the theme's to set
    if not fields.get("title"):
        if not any(d.position.path == path for d in report.errors):  # a broken front matter said enough
            report.error(entry.position, f"'{path.name}' has no title "
                                         "(give 'title' in the manifest, front matter, <title> or a first heading)")
        return None
    dropped: list = []
    try:
        tree = draft.tree = clean(body, rewrite, prefixes, draft.prefixes, dropped)
    except TooDeep as exc:
        where = Position(path) if got.places is not None else Position(path, exc.args[0] or 1, 1)  # no lines: no line
        report.error(_too_deep_at(text, path) or where,
                     f"elements nested more than {MAX_DEPTH} deep: no e-reader or print layout opens that; flatten the markup")
        return None
    for name, line in dropped:  # the file's line when the reader kept it (Markdown's raw HTML has none: searched for)
        report.warning(Position(path, line, 1) if line and got.source_lines else _locate(draft, f"<{name}", "dropped"),
                       f"<{name}> left out: e-readers cannot be relied on to play or draw it "
                       "(an image or a link in its place reaches every reader)")
    draft.declared = prefixes
    _shape(draft, tree, report)
    # Counted now, so a cached draft carries it; resolving links later changes no text.
    draft.words = count_words(" ".join(tree.itertext()), draft.fields["lang"])
    for a in tree.iter(f"{{{XHTML}}}a"):  # links within the article resolve with the others
        href = a.get("href") or ""
        if href.startswith("#"):
            a.set("href", _placeholder(draft, draft.id, href[1:], _locate(draft, href, "fragment")))
    draft.ids = frozenset(e.get("id") for e in tree.iter() if isinstance(e.tag, str) and e.get("id"))
    draft.body = serialize_fragment(tree)
    draft.tree, draft.line_starts, draft.places, draft.embedded = None, [], None, {}
    image = draft.fields.get("image")
    if image is not None:
        name = _asset(draft, image.src, image.position, report)
        try:
            caption, credit = (_marked_up(value, draft.fields["lang"]) for value in (image.caption, image.credit))
        except TooDeep:  # raw HTML in a caption is copied by the body's rules, its depth limit too
            report.error(image.position, f"the lead image's caption or credit nests elements more than {MAX_DEPTH} deep; "
                         "flatten the markup")
            return None
        draft.fields["image"] = image._replace(name=name, caption=caption, credit=credit) if name else None
        if name:
            draft.images += 1
            if image.alt is None:
                report.warning(image.position, "lead image without alt text; give 'alt' (empty if it is decorative)")
                draft.images_without_alt += 1
    return draft


def _marked_up(value: str | None, lang: str) -> Markup | None:
    """A caption or credit (inline Markdown) as clean XHTML, Markup: every template sets it as
    it is, in an element or an attribute (markdown.inline escapes its quotes too)."""
    return Markup(markdown.inline(value, lang)) if value else None


def _title_heading(body):
    for element in body.iter():
        if local_name(element) in ("h1", "h2"):
            return element
        if local_name(element) in ("p", "table", "ul", "ol", "blockquote", "figure", "dl", "pre"):
            return None  # text before any heading: the first heading is not the title
    return None


def _text(element) -> str:
    """A heading's words: a line break is a space; a script's or style's text is no word of it."""
    def words(e) -> str:
        inner = "".join((" " if local_name(c) == "br" else "" if not isinstance(c.tag, str)
                         or local_name(c) in ("script", "style", "template") else words(c)) + (c.tail or "") for c in e)
        return (e.text or "") + inner
    return " ".join(xml_text(words(element)).split())


# ---------------------------------------------------------------------------- links and assets


def _rewrite_url(draft: _Draft, element: str, attr: str, url: str, ids, root: Path, report: Report) -> str | None:
    url = url.strip()
    where = _locate(draft, url, "url")
    if element == "img":
        src = _image_src(draft, url, where, report)
        if src is not None:  # _shape's warnings for this src, in order
            draft.image_places.setdefault(src, []).append(where)
        return src
    if attr == "cite":  # a source no reader shows: an https URL (EPUBCheck warns of others, RSC-031), or none
        return url if url[:6].lower() == "https:" and urls.safe_external_url(url) else None
    # <a href>
    if url.startswith("#"):
        return url if len(url) > 1 else None  # checked in _check_links with the others
    if confine.has_scheme(url) or url.startswith("//"):
        if urls.safe_external_url(url):
            return url
        if urls.external_scheme(url):
            report.warning(where, f"link to '{_short(url)}' removed, its text kept: not a well-formed URL "
                                  f"({urls.url_problem(url)})")
        else:
            report.warning(where, f"link to '{_short(url)}' removed: only http(s), mailto and tel links leave the issue")
        return None
    try:
        path = _resolve(draft, url)
    except confine.Refused as exc:
        report.warning(where, f"link removed: {exc}")
        return None
    _, fragment = confine.split_ref(url)
    if path not in ids:
        report.warning(where, f"link to '{_short(url)}' removed: it is not an article of this issue")
        return None
    target = ids[path]
    return _placeholder(draft, target, fragment, where)


def _image_src(draft: _Draft, url: str, where: Position, report: Report) -> str | None:
    """An image's src in the outputs, its file taken as an asset; None (and said) when refused."""
    if url in draft.embedded:  # a picture the article's file holds (a Word document's)
        return _data_asset(draft, draft.embedded[url], where, report, "picture")
    if url.startswith("data:"):
        try:
            _media_type, data = confine.decode_data_uri(url)
        except confine.Refused as exc:
            report.warning(where, f"image removed: {exc}")
            return None
        return _data_asset(draft, data, where, report)
    if confine.has_scheme(url) or url.startswith("//"):
        # A URL is never fetched: the image is left out and the build goes on.
        report.warning(where, f"image '{_short(url)}' left out: images must be files inside the issue folder")
        return None
    try:
        path = _resolve(draft, url)
    except confine.Refused as exc:
        report.error(where, f"image '{_short(url)}': {exc}")
        return None
    return _asset(draft, path, where, report)


def _placeholder(draft: _Draft, target: str, fragment: str, where: Position) -> str:
    """A link resolved in _check_links, when every article's ids are known."""
    draft.links.append((target, unquote(fragment), where))  # #caf%C3%A9 names id="café"
    return f"masthead-link-{draft.token}:{len(draft.links) - 1}"


def _resolve(draft: _Draft, url: str) -> Path:
    """confine.resolve, with its outcome recorded: it depends on the files, not on the text.
    Once for each file a URL names: a fragment changes nothing (6,000 endnotes linking back to
    one chapter cost 6,000 resolutions, two thirds of reading a book's notes)."""
    known = draft.resolved.get(url.strip().split("#", 1)[0])
    if known is not None:
        return known
    try:
        path = confine.resolve(draft.root, draft.source.parent, url)
    except confine.Refused as exc:
        draft.deps.append(("resolve", str(draft.root), str(draft.source.parent), url, f"refused: {exc}"))
        raise
    draft.deps.append(("resolve", str(draft.root), str(draft.source.parent), url, str(path)))
    draft.resolved[url.strip().split("#", 1)[0]] = path
    return path


def _asset(draft: _Draft, path: Path, where: Position, report: Report) -> str | None:
    try:
        data = confine.read_input(path, confine.IMAGE_LIMIT, follow=False)  # resolved by _resolve
        draft.deps.append(("file", str(path), hashlib.sha256(data).hexdigest()))
        info = images.probe(data)
    except (images.ImageError, OSError) as exc:
        report.error(where, f"'{path.name}': {exc}")
        return None
    # The same file gets the same name from every article; readable, and collision-free
    # because a hash of the issue-relative path is added whenever the name had to change.
    relative = path.relative_to(draft.root).as_posix()
    stem = relative.removeprefix("images/").rsplit(".", 1)[0]
    safe = re.sub(r"[^A-Za-z0-9_\-]+", "-", stem).strip("-") or "image"
    # A name with capitals gets the hash too: "a.PNG" and "A.png" beside "a.png" must stay three
    # files where case folds (an EPUB may not hold two names that differ only in case).
    if safe != stem or info.extension != path.suffix or safe != safe.lower() or safe == "cover":  # images/cover.* is the cover's
        safe = f"{safe}-{hashlib.sha1(relative.encode()).hexdigest()[:8]}"
    name = f"images/{safe}{info.extension}"
    draft.assets.setdefault(name, Asset(path, name, where))
    return name


def _data_asset(draft: _Draft, data: bytes, where: Position, report: Report, what: str = "data: image") -> str | None:
    try:
        info = images.probe(data)
    except images.ImageError as exc:
        report.warning(where, f"{what} removed: {exc}")
        return None
    name = f"images/inline-{hashlib.sha1(data).hexdigest()[:12]}{info.extension}"
    draft.assets.setdefault(name, Asset(draft.source, name, where, data=data))
    return name


def _locate(draft: _Draft, needle: str, purpose: str = "") -> Position:
    """Where ``needle`` stands in the article's source (parsers lose Markdown lines): asked
    again for the same purpose, the next place it stands, as the tree is walked in order.
    A needle markdown-it percent-encoded (``#caf%C3%A9``) is looked for as written, too. A
    reader whose file has no text to search (a Word document) has said where its URLs stand."""
    if draft.places is not None:
        return draft.places.get(needle) or draft.places.get(unquote(needle)) or Position(draft.source)
    index = _find(draft, unquote(needle), purpose) if "%" in needle and unquote(needle) != needle else -1
    if index < 0:
        index = _find(draft, needle, purpose)
    if index < 0:
        return Position(draft.source, 1, 1)
    if not draft.line_starts:  # made once: counting the lines before each place was quadratic
        draft.line_starts = [0, *(m.end() for m in re.finditer("\n", draft.text))]
    line = bisect.bisect_right(draft.line_starts, index)
    return Position(draft.source, line, index - draft.line_starts[line - 1] + 1)


# All the searches for one article may read _READS times its text; past that, each looks
# _WINDOW characters ahead only. Needles found in order read the text about once.
_READS = 100
_WINDOW = 4096


def _find(draft: _Draft, needle: str, purpose: str) -> int:
    """Where ``needle`` next stands in the body for ``purpose``, or -1. The tree is walked in the
    order of the source, so the search starts where the last needle of the same purpose stood
    (and after this needle's own last place), and goes back to the body's start only when it
    is not found (a link whose reference definition stands above, a needle asked more often
    than it is written). A search of the body from its start for each new needle was
    quadratic (50,000 links [l](#aN)); a budget keeps needles that stand nowhere from being so."""
    start, last = draft.body_start, draft.found.get((purpose, needle), -1)
    if last is None or not needle or _absent(draft, needle):  # not in the source (a generated #note-3)
        draft.found[(purpose, needle)] = None
        return -1
    after = max(start, last + 1, draft.found.get(("after", purpose), start))
    index = _search(draft, needle, after, len(draft.text))
    if index < 0 and after > start:
        index = _search(draft, needle, start, after + len(needle) - 1)
    draft.found[(purpose, needle)] = index if index >= 0 else None
    if index >= 0:
        draft.found[("after", purpose)] = index + 1
    return index


def _search(draft: _Draft, needle: str, begin: int, end: int) -> int:
    """``draft.text.find(needle, begin, end)``, its reading counted against the article's budget."""
    budget = draft.found.get(("budget", ""), _READS * len(draft.text))
    end = end if budget > 0 else min(end, begin + _WINDOW)
    index = draft.text.find(needle, begin, end)
    draft.found[("budget", "")] = budget - ((index + len(needle) if index >= 0 else end) - begin)
    return index


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:\s[^<>]{0,4000})?>")  # bounded: linear on any text


def _too_deep_at(text: str, path: Path) -> Position | None:
    """Where the source's tags first open more than MAX_DEPTH elements (the parsers of Markdown
    lose its raw HTML's lines, libxml2 keeps no column): a count of open tags less closed ones,
    void elements aside; None when that count never gets there (Markdown's own nesting)."""
    depth = 0
    for match in _TAG.finditer(text):
        closing, name, empty = match.group(1), match.group(2).lower(), match.group(0).endswith("/>")
        if closing:
            depth = max(0, depth - 1)
        elif not empty and name not in sanitize.VOID:
            depth += 1
            if depth > MAX_DEPTH:
                index = match.start()
                return Position(path, text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1)
    return None


def _absent(draft: _Draft, needle: str) -> bool:
    """Is ``needle`` certainly not in the body? Names a converter made come numbered (#fn1,
    #fnref1 … for a Markdown footnote, never in its source); when their stem (#fn) is not there,
    one search says so for all of them, not a search of the whole text for each."""
    stem = needle.rstrip("0123456789")
    if len(stem) == len(needle) or len(stem) < 2:
        return False
    if ("stem", stem) not in draft.found:
        if draft.found.get(("budget", ""), 1) <= 0:
            return False  # not known: the search for the needle itself looks a little way ahead
        draft.found[("stem", stem)] = _search(draft, stem, draft.body_start, len(draft.text)) < 0
    return draft.found[("stem", stem)]


def _short(url: str) -> str:
    return url if len(url) <= 60 else url[:57] + "…"


# ---------------------------------------------------------------------------- shaping


def _shape(draft: _Draft, tree: etree._Element, report: Report) -> None:
    """Give the clean tree (the draft's) the structure e-readers expect (shape.py); count images and alt text."""
    shape.structure(tree)
    for img in list(tree.iter(f"{{{XHTML}}}img")):
        if not img.get("src"):
            shape.remove(img)  # its source was refused (and reported)
            continue
        draft.images += 1
        places = draft.image_places.get(img.get("src"), [])  # this src's places in the source, in order
        place = places.pop(0) if places else Position(draft.source, 1, 1)
        if img.get("alt") is None:
            report.warning(place, "image without alt text; describe it, or write alt=\"\" if it is decorative")
            img.set("alt", "")
            draft.images_without_alt += 1
    draft.renamed = shape.finish(tree)


def _check_links(drafts: dict[Path, _Draft], report: Report) -> None:
    """Resolve link placeholders now that every article's ids are known.

    The bodies are already serialized: each ``href="masthead-link-TOKEN:N"`` is replaced in
    the text, in document order, by the link it stands for, or removed.
    """
    ids_of = {d.id: d.ids for d in drafts.values()}
    renamed_of = {d.id: d.renamed for d in drafts.values()}
    for draft in drafts.values():
        def resolve(match: re.Match, draft: _Draft = draft) -> str:
            target, fragment, where = draft.links[int(match.group(1))]
            if target not in ids_of:
                return ""  # the target article failed to read, and said so
            fragment = sanitize.id_value(fragment)
            fragment = renamed_of[target].get(fragment, fragment)  # "#a%20b" names the id "a b" became
            if fragment and fragment not in ids_of[target]:
                if target == draft.id:
                    report.warning(where, f"'#{fragment}' names no element in this article; link removed")
                else:
                    report.warning(where, f"'#{fragment}' names no element in the article it links to; linking to the article's start")
                fragment = ""
            if target == draft.id:
                return f' href="#{_attribute(urls.fragment(fragment))}"' if fragment else ""
            return f' href="{target}.xhtml' + (f"#{_attribute(urls.fragment(fragment))}" if fragment else "") + '"'

        draft.body = re.sub(rf' href="masthead-link-{draft.token}:(\d+)"', resolve, draft.body)


def _attribute(value: str) -> str:
    return escape_text(value).replace('"', "&quot;")


# ---------------------------------------------------------------------------- finishing


def _finish(draft: _Draft, meta, report: Report) -> Article:
    f = draft.fields
    lang = f.get("lang") or meta.language
    body = draft.body
    words = draft.words
    image = f.get("image")
    return Article(
        id=draft.id, source=draft.source, title=f["title"], standfirst=f.get("standfirst"),
        byline=tuple(f.get("byline") or ()), date=f.get("date"), kicker=f.get("kicker"),
        lang=lang, direction=f.get("dir") or i18n.direction_of(lang), image=image,
        reading_time=f.get("reading_time") or reading_minutes(words, lang), words=words,
        summary=f.get("summary"), tags=tuple(f.get("tags") or ()), body=body,
        assets=tuple(draft.assets.values()),
        epub_prefixes=tuple(sorted((p, draft.declared[p]) for p in draft.prefixes)),
        images=draft.images, images_without_alt=draft.images_without_alt,
    )


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"\w+(?:[\'’\-]\w+)*", re.U)


def count_words(text: str, lang: str) -> int:
    """Words for scripts that separate them with spaces; characters for Chinese, Japanese, Korean."""
    if _CJK.search(text) is None:  # most issues: one pass, not three
        return _WORD.subn("", text)[1]  # counted, not collected: a third less time than findall
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text)
    return cjk + len(_WORD.findall(rest))


def reading_minutes(words: int, lang: str) -> int:
    per_minute = i18n.reading_speed(lang)
    return max(1, math.ceil(words / per_minute))
