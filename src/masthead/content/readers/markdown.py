"""Markdown articles (front matter, then CommonMark) into HTML with markdown-it, and a word
about what it drops without one.

markdown-it forgives, silently: a footnote reference with no definition stays as its text
(``[^3]``), a definition nothing refers to is left out, a label defined twice keeps only the
later text, and nesting deeper than its limit is cut with everything inside. Each of these is
a warning at the article's line here, so the writer hears of it before a reader does.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from masthead.content import repair, sanitize, shape
from masthead.content.readers.base import KNOWN_PREFIXES, ReaderResult, decode_text
from masthead.diagnostics import Position, Report
from masthead.manifest import loader
from masthead.runtime import i18n, safexml, urls

# markdown-it's default is 20: 21 quotes deep, the innermost text was lost without a word. The
# limit stays (deep enough for any article, shallow enough for lxml and e-readers); it is said.
MAX_NESTING = 50
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
# A run of characters with no space or "]" in it, and the "]" after it: each footnote reference
# ([^label]) ends one. Begun only where a run begins, each character is read once.
_RUN = re.compile(r"(?<![^\]\s])[^\]\s]*+\]")

_renderers: dict = {}  # (language, for a caption) → MarkdownIt


# In raw HTML, </body> or </html> would end libxml2's reading of the fragment, and the rest of
# the article with it: those tags close nothing here.
_PAGE_END_TAGS = re.compile(r"</\s*(?:body|html|head)\s*>", re.I)


class MarkdownReader:
    name = "Markdown"
    suffixes: tuple[str, ...] = (".md", ".markdown")
    shown: tuple[str, ...] = (".md",)

    def read(self, raw: bytes, path: Path, entry, meta, report: Report) -> ReaderResult:
        text = decode_text(raw, path, report)
        if text is None:
            return ReaderResult({}, None, None, {})
        return read(text, path, entry, meta, report)


READER = MarkdownReader()


def read(text: str, path: Path, entry, meta, report: Report) -> ReaderResult:
    """A Markdown article: the fields of its front matter, its language, its body as an lxml tree."""
    source = text
    fields: dict = {}
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # CommonMark's line ends: a lone CR too
    body_text, offset = text, 0
    match = FRONT_MATTER.match(text)
    if match:
        y = loader.parse_yaml(match.group(1) or "", path, report, line_offset=1)
        if y is not None and y.value is not None:
            fields = loader.article_fields(y, report, meta.root, path.parent)
        offset = text[: match.end()].count("\n")
        body_text = "\n" * offset + text[match.end():]  # keep line numbers for messages
    lang = entry.overrides.get("lang") or fields.get("lang") or entry.language or meta.language
    language = lang.split("-")[0].lower()
    md = renderer(language)
    for key in ("title", "standfirst", "kicker", "summary"):
        if fields.get(key):  # the same quotes and dashes as the body
            fields[key] = typographic(md, fields[key])
    html = _PAGE_END_TAGS.sub("", render(body_text, language, path, report))
    body = sanitize.fragment(html or "<p></p>")
    # Markdown's elements have no line of the file: a message about one searches ``source``
    # for it, from where the body begins (after the front matter, as the file has it).
    front = FRONT_MATTER.match(source)
    return ReaderResult(fields, lang, body, dict(KNOWN_PREFIXES), source, front.end() if front else 0)


def renderer(language: str, caption: bool = False):
    """The MarkdownIt for articles in ``language``; ``caption``: for a line of inline text, without
    footnotes, definition lists, heading anchors or boxes (a note in a caption has nowhere to go)."""
    if (language, caption) not in _renderers:
        # Imported on the first Markdown article: an HTML-only issue never pays for it.
        from markdown_it import MarkdownIt
        from mdit_py_plugins.container import container_plugin
        from mdit_py_plugins.deflist import deflist_plugin
        from mdit_py_plugins.footnote import footnote_plugin

        md = MarkdownIt("commonmark", {"typographer": True, "html": True, "maxNesting": MAX_NESTING})
        md.enable(["replacements", "smartquotes", "table", "strikethrough"])
        if not caption:
            md.use(footnote_plugin).use(deflist_plugin)
        md.inline.ruler.before("entity", "masthead_windows_1252", _windows_1252)
        md.inline.ruler.before("autolink", "masthead_prefixed_tags", _prefixed_tag)
        md.core.ruler.at("replacements", _replacements)  # the same replacements, run where they can match
        md.core.ruler.before("replacements", "masthead_literal_text", _literal_text)
        if not caption:
            # Before the plugin gathers the definitions (and forgets duplicates): note each one's line.
            md.core.ruler.before("footnote_tail", "masthead_footnote_lines", _definition_lines)
            md.core.ruler.push("anchor", _heading_ids)  # headings get ids that links can name
            for name in shape.CONTAINERS:
                md.use(container_plugin, name=name)
        md.options["quotes"] = list(i18n.quotes(language))
        _renderers[(language, caption)] = md
    return _renderers[(language, caption)]


def _heading_ids(state) -> None:
    """Each heading's id, as mdit_py_plugins' anchors plugin gives it ("h", "h-1", "h-2" …), an
    id the heading has already kept. The plugin counts each heading's number up from 1 again,
    so many headings of one name took quadratic time: here each slug's count goes on where it stopped."""
    from mdit_py_plugins.anchors.index import slugify

    slugs = {str(token.attrGet("id")) for token in state.tokens if token.type == "heading_open" and token.attrGet("id")}
    counts: dict[str, int] = {}  # slug → the first number not yet tried for it
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open" or token.attrGet("id"):
            continue
        title = "".join(child.content for child in state.tokens[index + 1].children or ()
                        if child.type in ("text", "code_inline"))
        slug = unique = slugify(title)
        n = counts.get(slug, 1)
        while unique in slugs:  # a number passed over is taken for good: slugs only grows
            unique, n = f"{slug}-{n}", n + 1
        counts[slug] = n
        slugs.add(unique)
        token.attrSet("id", unique)


# Office's prefixes (Word's o: w: v: m:, smart tags st1:); <T:Comparable> in prose stays text
_PREFIXED_TAG = re.compile(r"""</?(?:o|w|v|m|x|st\d+):[A-Za-z][\w.-]*"""  # the tag's name, then its attributes
                           r"""(?:\s+[^\s=<>/"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?)*\s*/?>""")


def _prefixed_tag(state, silent: bool) -> bool:
    """<o:p> and the like, from Word: no tag CommonMark knows (a name with a colon), so it
    showed as text. A browser sees an unknown element and shows its content: so here."""
    match = _PREFIXED_TAG.match(state.src, state.pos) if state.src[state.pos] == "<" else None
    if match is None:
        return False
    state.pos += len(match.group(0))
    return True


_LEGACY = re.compile(r"&#(?:[xX]0*([89][0-9a-fA-F])|0*(12[89]|1[3-5][0-9]));")


def _windows_1252(state, silent: bool) -> bool:
    """&#150; is an en dash in every browser (HTML reads 128–159 as Windows-1252, as old Word
    exports meant); CommonMark makes it U+FFFD, so text pasted from them lost its dashes."""
    match = _LEGACY.match(state.src, state.pos) if state.src[state.pos] == "&" else None
    if match is None:
        return False
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    try:
        char = bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return False  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: no character there either
    if not silent:
        token = state.push("text_special", "", 0)
        token.content, token.markup, token.info = char, match.group(0), "entity"
    state.pos += len(match.group(0))
    return True


def _replacements(state) -> None:
    """markdown-it's "replacements" rule ("--" → "–", "..." → "…", "(c)" → "©"), giving the
    same text: each of its eight patterns runs only on text that holds the characters it needs.
    The library runs all eight over every text token with ".." or "--" anywhere in it, which
    was an eighth of the time reading a Markdown article took."""
    from markdown_it.rules_core import replacements as r

    if not state.md.options.typographer:
        return
    for token in state.tokens:
        if token.type != "inline" or token.children is None:
            continue
        if r.SCOPED_ABBR_RE.search(token.content):
            r.replace_scoped(token.children)
        if r.RARE_RE.search(token.content):
            _replace_rare(token.children, r.RARE_RE, _rare_steps())


@functools.lru_cache(maxsize=1)
def _rare_steps() -> tuple:
    """The library's replace_rare, in its order: (what must stand in the text, pattern, replacement)."""
    from markdown_it.rules_core import replacements as r

    return ((("+-",), r.PLUS_MINUS_RE, "±"), (("..",), r.ELLIPSIS_RE, "…"),
            (("…",), r.ELLIPSIS_QUESTION_EXCLAMATION_RE, "\\1.."),
            (("??", "!!", "?!", "!?"), r.QUESTION_EXCLAMATION_RE, "\\1\\1\\1"),  # four of ? and ! in a row hold one of these
            ((",,",), r.COMMA_RE, ","), (("---",), r.EM_DASH_RE, "\\1\u2014"),
            (("--",), r.EN_DASH_RE, "\\1\u2013"), (("--",), r.EN_DASH_INDENT_RE, "\\1\u2013"))


def _replace_rare(children, rare, steps) -> None:
    inside_autolink = 0
    for token in children:
        if token.type == "text" and not inside_autolink and rare.search(token.content):
            text = token.content
            for needles, pattern, replacement in steps:
                if any(needle in text for needle in needles):
                    text = pattern.sub(replacement, text)
            token.content = text
        if token.type == "link_open" and token.info == "auto":
            inside_autolink -= 1
        if token.type == "link_close" and token.info == "auto":
            inside_autolink += 1


_LITERAL_TAG = re.compile(r"<(/?)(code|kbd|samp|var|tt|pre)\b[^>]*>", re.I)
# A URL, without the quote or the full stop after it (those are the sentence's, and smartquotes')
_URL = re.compile(r"(?:(?:https?|ftp)://|www\.)[^\s<>\"'“”‘’]*[^\s<>\"'“”‘’.,;:!?)\]]", re.I)


def _piece(child, kind: str, content: str):
    from markdown_it.token import Token

    token = Token(kind, "", 0, level=child.level, meta=dict(child.meta))  # smartquotes pairs by level
    token.content = content
    return token


def _literal_text(state) -> None:
    """Keep the typographer's quotes and dashes out of raw <code>/<kbd>/<samp> and of URLs:
    `--help` typed in <kbd> is a command, not an en dash. Text marked "text_special" is left
    alone by replacements and smartquotes, and made text again by text_join."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, inside, link = [], 0, False
        for child in block.children:
            if child.type == "html_inline":
                match = _LITERAL_TAG.match(child.content)
                if match:
                    inside = max(0, inside + (-1 if match.group(1) else 1))
            elif child.type in ("link_open", "link_close"):
                link = child.type == "link_open" and child.markup in ("autolink", "linkify")
            elif child.type == "text" and (inside or link):
                child.type = "text_special"
            elif child.type == "text" and ("://" in child.content or "www." in child.content.lower()) \
                    and _URL.search(child.content):  # the substring tests first: ten times cheaper than the search
                last = 0
                for match in _URL.finditer(child.content):  # the words around a URL stay typographic
                    for piece, kind in ((child.content[last:match.start()], "text"), (match.group(0), "text_special")):
                        if piece:
                            children.append(_piece(child, kind, piece))
                    last = match.end()
                if child.content[last:]:
                    children.append(_piece(child, "text", child.content[last:]))
                continue
            children.append(child)
        block.children = children


def render(text: str, language: str, path: Path, report: Report) -> str:
    """The article's HTML; what markdown-it would drop silently is reported at its line."""
    md = renderer(language)
    env: dict = {}
    tokens = md.parse(text, env)
    lines = text.split("\n")
    problems = _footnote_problems(tokens, env, lines) + _nesting_problems(tokens) + _swallowing(tokens, len(lines)) \
        + _box_problems(tokens, lines) + _table_problems(tokens, lines)
    columns: dict[int, dict[str, int]] = {}
    for line, message, *where in sorted(problems, key=lambda p: (p[0] is None, p[0] or 0)):
        report.warning(_at(path, lines, line, where[0] if where else None, columns), message)
    return md.renderer.render(tokens, md.options, env)


# What a caption or a credit may hold: phrasing content, for the <span>s of a <figcaption>
_CAPTION = frozenset("""a abbr b bdi bdo br cite code dfn em i kbd mark q rp rt ruby s samp small span strong sub sup
u var""".split())
_TEXT = re.compile(r">[^<]*<")  # the text between two tags of serialized XHTML (attributes escape their > and <)


def inline(value: str, language: str) -> str:
    """A lead image's caption or credit, written as inline Markdown ("Photograph: *Ann Lee*
    for [The Lantern](https://…)"), as clean XHTML phrasing content. Whatever is not phrasing
    (an image, a <div> in raw HTML) gives way to its text, and so does a link that does not go
    out to the web (a caption's link names no article of the issue). No id, epub:type or role:
    the body's ids are the page's, and a caption holds no structure. Quotes in the text are
    escaped too, so that the result is safe wherever a theme puts it, an attribute included."""
    html = renderer(language.split("-")[0].lower(), caption=True).renderInline(value)
    source = sanitize.fragment(html)
    web = lambda element, attr, url: url if element == "a" and urls.safe_external_url(url) else None  # noqa: E731
    tree = sanitize.clean(source, web, {}, set())
    for element in tree.iter(f"{{{safexml.XHTML}}}a"):
        if element.get("href") is None or any(safexml.local_name(up) == "a" for up in element.iterancestors()):
            element.tag = f"{{{safexml.XHTML}}}span"  # a link to nowhere, or inside another: its text
            for name in sanitize.ELEMENT_ATTRS["a"]:  # href, hreflang: a <span> may hold neither
                element.attrib.pop(name, None)
    other = {e.tag for e in tree.iter() if e is not tree and safexml.local_name(e) not in _CAPTION}
    etree.strip_tags(tree, *other)
    for element in tree.iter():
        for name in ("id", f"{{{safexml.OPS}}}type", "role"):
            element.attrib.pop(name, None)
    repair.repair(tree)  # an <rt> outside <ruby>, a <bdo> without dir …, as in a body
    text = _TEXT.sub(lambda m: m.group(0).replace('"', "&quot;").replace("'", "&#39;"), f">{safexml.serialize_fragment(tree)}<")
    return text[1:-1].strip()


def typographic(md, value: str) -> str:
    """Plain text with the renderer's quotes, dashes and ellipses ("--" → "–")."""
    html = md.renderInline(value)
    return "".join(sanitize.fragment(html).itertext()).strip() or value


def _definition_lines(state) -> None:
    found = state.env.setdefault("masthead_definitions", [])
    waiting: list[str] = []  # labels whose line is the next token's that has one
    for token in state.tokens:  # one pass: a search ahead for each note was quadratic
        if token.type == "footnote_reference_open":
            waiting.append(token.meta["label"])
        if waiting and token.map:
            found.extend((label, token.map[0]) for label in waiting)
            waiting = []
    found.extend((label, None) for label in waiting)


def _footnote_problems(tokens, env: dict, lines: list[str]) -> list[tuple[int | None, str, str]]:
    """(line, message, the text that stands at the column: [^label]) of each footnote problem."""
    refs = env.get("footnotes", {}).get("refs", {})
    problems: list[tuple[int | None, str, str]] = []
    seen: dict[str, int | None] = {}
    for label, line in env.get("masthead_definitions", []):
        if label in seen:
            problems.append((seen[label], f"footnote [^{label}] is defined again on line {_human(line)}, and that "
                                          "definition replaces this one", f"[^{label}]"))
        elif refs.get(f":{label}", -1) < 0:
            problems.append((line, f"footnote [^{label}] is never referred to in the text; it is left out", f"[^{label}]"))
        seen[label] = line
    escaped_in: dict[tuple[int, int], Callable[[str], bool]] = {}  # a paragraph's lines → its test for an escaped reference
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        in_link = 0  # [^x] as a link's text is the writer's text
        for child in token.children:
            in_link += {"link_open": 1, "link_close": -1}.get(child.type, 0)
            if child.type != "text" or in_link:
                continue
            for _, reference in _references(child.content):
                label = reference[2:-1]
                if f":{label}" in refs:
                    continue
                if token.map and tuple(token.map) not in escaped_in:
                    escaped_in[tuple(token.map)] = _escaped("\n".join(lines[token.map[0]:token.map[1]]))
                if not (token.map and escaped_in[tuple(token.map)](f"[^{label}]")):
                    problems.append((token.map[0] if token.map else None,
                                     f"footnote [^{label}] has no definition; it stays as text "
                                     f"(define it on a line of its own: [^{label}]: …)", f"[^{label}]"))
    return problems


def _references(text: str):
    """(offset, "[^label]") of each footnote reference in ``text``, as the pattern
    ``\\[\\^([^\\]\\s]+)\\]`` finds them, in time linear in the text: that pattern, tried at each
    "[^" of 20,000 and never closed, read the rest of the text from each."""
    for run in _RUN.finditer(text):
        start = run.group(0).find("[^")  # the first "[^" with a label after it (a later one has none)
        if 0 <= start < len(run.group(0)) - 3:
            yield run.start() + start, run.group(0)[start:]


def _escaped(source: str) -> Callable[[str], bool]:
    """Whether "\\[^label]" stands in ``source`` (a paragraph's lines), asked in log time: such
    text ends one of the runs _RUN finds, so the runs holding "\\[^" are kept reversed and
    sorted, and those ending as asked stand together. A search of the paragraph for each
    reference was quadratic (50,000 lines "x [^zz]": minutes)."""
    ends = sorted(run.group(0)[::-1] for run in _RUN.finditer(source) if "\\[^" in run.group(0))

    def test(needle: str) -> bool:
        key = ("\\" + needle)[::-1]
        index = bisect.bisect_left(ends, key)
        return index < len(ends) and ends[index].startswith(key)
    return test


def _nesting_problems(tokens) -> list[tuple[int | None, str]]:
    # markdown-it skips what is inside a container opened at the last level: its open and close
    # tokens stand side by side (each list counts two levels, the list and its item).
    for i, token in enumerate(tokens[:-1]):
        if token.nesting == 1 and token.level == MAX_NESTING - 1 and tokens[i + 1].nesting == -1 and token.map \
                and token.map[1] > token.map[0]:
            return [(token.map[0], f"quotes or lists nested too deep (markdown-it stops at {MAX_NESTING} levels, a list "
                                   "counting two): what is deeper is left out")]
    return []


def _swallowing(tokens, count: int) -> list[tuple[int | None, str]]:
    # A raw <!--, <script> or <style> never closed runs to the end of the text (CommonMark's
    # HTML blocks 1 and 2), and the sanitizer drops it with all that followed.
    for token in tokens:  # in a quote or a list too: the parser of the HTML takes the rest all the same
        if token.type == "html_block" and token.map:
            found = sanitize.never_closed(token.content)
            if found is not None:
                return [(token.map[0] + token.content.count("\n", 0, found[0]), sanitize.swallowed_message(found[1]))]
    return []


_FENCE = re.compile(r"\s*:{3,}\s*$")
_QUOTED = re.compile(r"^(?:\s*>)+")  # a blockquote's markers before a line's own text
_BOX_LINE = re.compile(r":{3,}\s*(\S*)")


def _box_problems(tokens, lines: list[str]) -> list[tuple[int | None, str]]:
    """::: boxes: words after the name, a box never closed, and a ::: that opens or closes none."""
    problems: list[tuple[int | None, str]] = []
    unknown = 0  # boxes of unknown names still open: the next ':::' closes one, with no word of its own
    for i, token in enumerate(tokens):
        if token.type.startswith("container_") and token.type.endswith("_open") and token.map:
            name, _, rest = token.info.strip().partition(" ")
            if rest.strip():
                problems.append((token.map[0], f"'{rest.strip()[:40]}' after '::: {name}' is left out: put it on the next line"))
            end = token.map[1]
            if end >= len(lines) or not _FENCE.match(_QUOTED.sub("", lines[end])):
                problems.append((token.map[0], f"'::: {name}' is never closed with ':::': the rest of the article is in the box"))
        elif token.type == "inline" and token.map and tokens[i - 1].type == "paragraph_open":
            for n, text in enumerate(token.content.split("\n")):
                match = _BOX_LINE.match(text)
                if match is not None and match.group(1):
                    unknown += 1
                    problems.append((token.map[0] + n, f"'::: {match.group(1)}' is no box masthead knows "
                                                       f"({', '.join(shape.CONTAINERS)}); it stays as text"))
                elif match is not None and unknown:
                    unknown -= 1  # the unknown box's own end: one mistake, one warning
                elif match is not None:
                    problems.append((token.map[0] + n, "a ':::' that closes no box, left as text: a box inside another "
                                                       "closes it unless the outer one has more colons (':::: sidebar' "
                                                       "around '::: pullquote')"))
    return problems


def _cells(line: str) -> int:
    """How many cells a table row holds: its unescaped pipes, as GFM counts (a code span's too)."""
    row = _QUOTED.sub("", line).strip()
    row = row[1:] if row.startswith("|") else row
    count, escaped = 1, False
    for n, char in enumerate(row):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|" and n < len(row) - 1:
            count += 1
    return count


def _table_problems(tokens, lines: list[str]) -> list[tuple[int | None, str]]:
    problems: list[tuple[int | None, str]] = []
    header = 0
    for token in tokens:
        if token.type == "thead_open":
            header = 0
        elif token.type == "th_open":
            header += 1
        elif token.type == "tr_open" and token.map and header and token.map[0] < len(lines):
            cells = _cells(lines[token.map[0]])
            if cells > header:
                problems.append((token.map[0], f"this row has {cells} cells and the table's head {header}: "
                                               f"the cells past column {header} are left out"))
    return problems


def _human(line: int | None) -> str:
    return "?" if line is None else str(line + 1)


def _at(path: Path, lines: list[str], line: int | None, needle: str | None, columns: dict) -> Position:
    """The 0-based ``line`` as a position, at the column where ``needle`` (a footnote reference,
    [^label]) stands in it, if given. ``columns`` keeps each line's references once found: a
    search of a long line for each of its references was quadratic."""
    if line is None:
        return Position(path)
    if needle and line < len(lines) and line not in columns:
        columns[line] = _columns(lines[line])
    return Position(path, line + 1, columns.get(line, {}).get(needle, 1) if needle else 1)


def _columns(line: str) -> dict[str, int]:
    """Each "[^label]" of a line → the first column where it stands: the reference each run of
    _RUN holds, and any shorter one inside it ("[^a]" in "[^b[^a]"), up to labels of 60 characters."""
    found: dict[str, int] = {}
    for run in _RUN.finditer(line):
        text, first = run.group(0), run.group(0).find("[^")
        tail = range(max(first + 1, len(text) - 64), len(text) - 3) if first >= 0 else ()
        for start in [first, *(i for i in tail if text.startswith("[^", i))]:
            if 0 <= start < len(text) - 3:
                found.setdefault(text[start:], run.start() + start + 1)
    return found
