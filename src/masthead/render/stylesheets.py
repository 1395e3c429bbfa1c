"""A theme's stylesheets, confined to the issue's own files.

A theme's CSS (the built-in theme's, or an issue's own ``templates/css/*.css``, which is
untrusted input) goes into the EPUB as written, and e-readers fetch whatever it names: a
``file:`` or ``http:`` URL, an absolute path, a path that climbs out of the book (EPUBCheck
rejects those too; the PDF's fetcher refuses them anyway). So every @import goes and every
such URL becomes ``none``, each with a warning at its line.

Two passes. Regular expressions handle ordinary CSS and keep its bytes. They cannot see
what CSS escapes hide (``url("f\\ile:…")``, ``u\\72l(…)``, ``@\\69mport``), a comment or a tab
inside a url(), nor the URLs that ``image-set()`` and ``src()`` take as bare strings, so a
stylesheet that still holds a url(), a backslash, ``image-set``, ``src(`` or ``@import`` is
read again by tinycss2, which decodes it as a reader would; it is re-serialized only when
that finds a URL to remove. The built-in theme's stylesheets hold none of these: a normal
build never imports tinycss2.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from masthead.diagnostics import Position, Report
from masthead.manifest.loader import shown
from masthead.model.documents import BOTH, EPUB, PDF, WEB, Resource
from masthead.render.theme import Theme
from masthead.runtime import confine

REMOVED = "removed: stylesheets may only use the theme's own files"
MISSING = "removed: no such file goes into the outputs (a theme's stylesheets and fonts do)"
IMPORT_REMOVED = "@import removed: link stylesheets from the templates instead"


def stylesheets(theme: Theme, report: Report) -> list[Resource]:
    """The theme's stylesheets but its fonts' (``css/print.css`` for the PDF only,
    ``css/epub.css`` for the EPUB only), confined by :func:`confined_css`."""
    out = []
    sheets = {name: path for name, path in theme.files("css").items() if name.endswith(".css") and name != "css/fonts.css"}
    shipped = frozenset(sheets) | {face.file for face in theme.faces}  # what a url() may name
    for name, path in sheets.items():
        if not _PLAIN_NAME.fullmatch(name):
            # The name becomes a URL in the package and the templates' links: a space, "%", "#",
            # "?" or ":" would have to be written otherwise there.
            report.error(Position(path, 1, 1), f"a stylesheet's name may hold only letters, digits, '.', '-' and '_', "
                                               f"not '{shown(name[len('css/'):])}'")
            continue
        targets = PDF if name == "css/print.css" else EPUB if name == "css/epub.css" else WEB if name == "css/web.css" else BOTH
        try:
            raw = confine.read_input(path, confine.THEME_FILE_LIMIT)
            text = raw.decode("utf-8")
        except OSError as exc:
            report.error(Position(path, 1, 1), f"cannot read the stylesheet: {exc.strerror}")
            continue
        except UnicodeDecodeError as exc:  # as a template is refused: its bytes would reach every output as U+FFFD
            line = raw[: exc.start].count(b"\n") + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            report.error(Position(path, line, col), f"not UTF-8 text (byte {exc.start}); save the stylesheet as UTF-8")
            continue
        css = confined_css(text, path, report, shipped, name)
        out.append(Resource(name, "text/css", css.encode("utf-8"), targets))
    return out


_PLAIN_NAME = re.compile(r"css(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)+")


def _missing(target: str, name: str, shipped: frozenset[str] | None) -> bool:
    """Does a relative url() in stylesheet ``name`` name a file the outputs will not carry?"""
    if shipped is None or target.startswith(("data:", "#")) or not target:
        return False
    path = unquote(re.split(r"[?#]", target, maxsplit=1)[0])
    return posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) not in shipped


# One pass over the text as written (so every position is the file's own): an @import, a
# leading @charset, or a url().
_CSS_RULES = re.compile(r"(?P<imp>@import\b[^;]*;?)|(?P<charset>\A\ufeff?@charset\s*(?P<cq>['\"])(?P<enc>[^'\"]*)(?P=cq)\s*;)"
                        r"|url\(\s*(?P<q>['\"]?)(?P<target>.*?)(?P=q)\s*\)", re.I | re.S)
_ODD = re.compile(r"['\"\\%]|/\*|[\x00-\x20]")  # in a kept url(): what a reader may read otherwise


def _allowed(target: str) -> bool:
    """A URL a stylesheet may keep: data, or relative, not rooted, no ``..`` past the first segment."""
    return target.startswith("data:") or (not confine.has_scheme(target) and not target.startswith(("/", "//", "\\"))
                                          and ".." not in target.split("/")[1:])


def confined_css(css: str, path, report: Report, shipped: frozenset[str] | None = None, name: str = "") -> str:
    """A stylesheet that can only name the issue's own files: no @import, no URL with a scheme,
    none rooted or climbing; each removal is a warning at its line (``path``'s). A removal
    keeps the line breaks it spanned, so later positions stay the file's."""
    def line_of(index: int) -> Position:
        return Position(path, css.count("\n", 0, index) + 1, index - css.rfind("\n", 0, index))

    odd = False

    def rule(match: re.Match) -> str:
        nonlocal odd
        breaks = "\n" * match.group(0).count("\n")
        if match.group("imp"):
            report.warning(line_of(match.start()), IMPORT_REMOVED)
            return breaks
        if match.group("charset"):
            if match.group("enc").strip().lower() in ("utf-8", "utf8"):
                return match.group(0)
            # The file is read, checked and written as UTF-8: a reader told another encoding
            # would read other text than the one checked.
            report.warning(line_of(match.start()), f"@charset \"{match.group('enc')[:20]}\" removed: "
                                                   "stylesheets are read and written as UTF-8")
            return breaks
        target = match.group("target").strip()
        if _allowed(target) and not _missing(target, name, shipped):
            odd = odd or bool(_ODD.search(target))
            return match.group(0)
        report.warning(line_of(match.start()), f"url({target[:60]}) {REMOVED if not _allowed(target) else MISSING}")
        return "none" + breaks

    confined = _CSS_RULES.sub(rule, css)
    if odd or _MAY_LOAD.search(confined):  # what is left may still load something: read it as a reader does
        return _decoded_confined(confined, path, report, lambda target: _missing(target, name, shipped))
    return confined


# Beyond a kept url() holding something odd, what may still name a URL after the regular
# expressions: an escape, image-set(), src(), an @import they could not see.
_MAY_LOAD = re.compile(r"\\|image-set|src\(|@import", re.I)


# ---------------------------------------------------------------------------- escapes, image-set(), src()

_IMAGE_SETS = ("image-set", "-webkit-image-set")
_UNKNOWABLE = ("var", "env", "attr")  # their value, hence the URL, is only known when styling


def _as_loaded(target: str) -> str:
    """``target`` as a URL parser reads it: C0 controls and spaces around it, tabs and line
    breaks within it dropped; ``\\`` a ``/``, ``%2e`` a ``.``."""
    target = re.sub(r"[\t\n\r]", "", target.strip("".join(map(chr, range(0x21)))))
    return re.sub(r"%2e", ".", target.replace("\\", "/"), flags=re.I)


def _decoded_confined(css: str, path, report: Report, missing=lambda target: False) -> str:
    """``css`` unchanged when tinycss2, escapes decoded, finds no URL to remove; otherwise
    re-serialized with each such url()/src()/image-set() a ``none`` and each @import gone."""
    import tinycss2
    from tinycss2.ast import IdentToken

    changed = False

    def remove(node, message: str) -> None:
        nonlocal changed
        changed = True
        report.warning(Position(path, node.source_line, node.source_column), message)

    def ok(target: str) -> bool:
        return _allowed(_as_loaded(target)) and not missing(target)

    def bad_url(node) -> str | None:
        """What ``node`` names that it may not (as shown in a warning), or None."""
        if node.type == "url":
            return None if ok(node.value) else node.value
        if node.type != "function":
            return None
        arguments = [a for a in node.arguments if a.type not in ("whitespace", "comment")]
        if node.lower_name in ("url", "src"):
            if arguments and arguments[0].type == "string":
                return None if ok(arguments[0].value) else arguments[0].value
            return tinycss2.serialize(node.arguments).strip()  # var(--x): not known here
        if node.lower_name in _IMAGE_SETS:
            for argument in arguments:
                if argument.type == "string" and not ok(argument.value):
                    return argument.value
                if argument.type == "function" and argument.lower_name in _UNKNOWABLE:
                    return tinycss2.serialize([argument])
        return None

    def walk(nodes: list) -> None:
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if node.type == "at-rule" and node.lower_at_keyword == "import":
                remove(node, IMPORT_REMOVED)
                del nodes[i]
                continue
            if node.type == "at-keyword" and node.lower_value == "import":  # in a block: up to its ";"
                remove(node, IMPORT_REMOVED)
                end = next((j for j in range(i, len(nodes)) if nodes[j].type == "literal" and nodes[j].value == ";"),
                           len(nodes) - 1)
                del nodes[i:end + 1]
                continue
            target = bad_url(node)
            if target is not None:
                name = "url" if node.type == "url" else node.lower_name
                remove(node, f"{name}({target[:60]}) {REMOVED if not _allowed(_as_loaded(target)) else MISSING}")
                nodes[i] = IdentToken(node.source_line, node.source_column, "none")
            else:
                for part in ("prelude", "content", "arguments"):
                    if isinstance(getattr(node, part, None), list):
                        walk(getattr(node, part))
            i += 1

    rules = tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False)
    walk(rules)
    if not changed:
        return css
    return tinycss2.serialize(_without_errors(rules))  # what it cannot parse, a reader drops too


def _without_errors(nodes: list) -> list:
    """The nodes without tinycss2's parse errors (a stray ``}``), which it cannot serialize."""
    kept = [n for n in nodes if n.type != "error"]
    for node in kept:
        for part in ("prelude", "content", "arguments"):
            if isinstance(getattr(node, part, None), list):
                setattr(node, part, _without_errors(getattr(node, part)))
    return kept
