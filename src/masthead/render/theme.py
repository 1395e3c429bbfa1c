"""Theme lookup: the issue's own ``templates/`` → the chosen theme → its parents → built-in.

A theme is a folder with ``theme.yaml`` (``name``, ``extends``), Jinja templates
(``*.xhtml.j2``), ``css/``, ``fonts/`` and ``locale/``. Any file may be overridden by a folder
earlier in the chain, file by file, as in mkdocs' ``custom_dir``. The built-in themes are
trusted; a theme inside the issue (its ``templates/``, or one named by path, which must lie
inside the issue folder) is input like the articles: its templates run only in Jinja's
sandbox, its theme.yaml is checked at its lines, and no link in it may lead out of the issue.

A template's mistake is still the user's: :func:`template_error` finds the template line a
rendering error came from, so the build reports it there like any other bad input.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from masthead.diagnostics import Diagnostic, IssueError, Position, Report
from masthead.manifest import loader
from masthead.model.issue import IssueMeta
from masthead.runtime import confine


def builtin_root() -> Path:
    """Where the built-in themes live: inside the wheel, or at the top of a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "templates", package.parents[1] / "templates"):
        if (candidate / "default" / "theme.yaml").is_file():
            return candidate
    raise RuntimeError("masthead is installed without its templates")  # a packaging bug


def builtin_names() -> list[str]:
    return sorted(p.name for p in builtin_root().iterdir() if (p / "theme.yaml").is_file())


class Face(NamedTuple):
    """One font file of the theme, as ``theme.yaml`` lists it under ``fonts:``."""

    family: str
    file: str  # "fonts/NotoSerif-Regular.ttf", relative to the theme folder
    weight: int
    style: str


@dataclass(frozen=True)
class Theme:
    name: str
    folders: tuple[Path, ...]  # first match wins
    faces: tuple[Face, ...] = ()  # the fonts of the first theme.yaml in the chain

    def find(self, relative: str) -> Path | None:
        for folder in self.folders:
            candidate = folder / relative
            if candidate.is_file():
                return candidate
        return None

    def files(self, subfolder: str) -> dict[str, Path]:
        """Every file under ``subfolder`` across the chain, by relative name, overrides applied."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):
            base = folder / subfolder
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    if path.is_file():
                        found[path.relative_to(folder).as_posix()] = path
        return dict(sorted(found.items()))

    @property
    def built_in(self) -> bool:
        """Is every folder of the chain one of masthead's own themes (trusted, as code is)?"""
        root = builtin_root()
        return all(folder.is_relative_to(root) for folder in self.folders)

    def loader(self):
        """Jinja's loader for the chain's templates, each read through confine.read_input."""
        return _confined_loader([str(f) for f in self.folders])

    @property
    def locale_dirs(self) -> tuple[Path, ...]:
        return tuple(f / "locale" for f in self.folders if (f / "locale").is_dir())


def _confined_loader(searchpath: list[str]):
    """Jinja's FileSystemLoader, reading as every input is read: a template swapped for a FIFO
    or grown huge after :func:`load` checked it is refused at the file, never waited on or read
    whole. (Jinja is imported here, when a theme is rendered.)"""
    import posixpath

    import jinja2
    from jinja2.loaders import split_template_path

    class Loader(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            pieces = split_template_path(template)  # no ".." : as Jinja's own
            for folder in self.searchpath:
                filename = posixpath.join(folder, *pieces)
                if os.path.exists(filename) and not os.path.isdir(filename):  # a FIFO too: refused, not skipped
                    break
            else:
                raise jinja2.TemplateNotFound(template)
            mtime = os.path.getmtime(filename)

            def uptodate() -> bool:
                try:
                    return os.path.getmtime(filename) == mtime
                except OSError:
                    return False

            return _template_text(Path(filename)), os.path.normpath(filename), uptodate

    return Loader(searchpath)


def _template_text(path: Path) -> str:
    try:
        return confine.read_input(path, confine.THEME_FILE_LIMIT).decode("utf-8")
    except OSError as exc:
        raise IssueError([Diagnostic(Position(path), f"cannot read the template: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise IssueError([Diagnostic(Position(path), f"not UTF-8 text (byte {exc.start}); save the template as UTF-8")]) from None


def load(meta: IssueMeta) -> Theme:
    """The theme chain for an issue; a theme's mistakes are positioned errors."""
    position = meta.theme_position or Position(meta.manifest_path, 1, 1)
    report = Report()
    specs: dict[Path, _Spec] = {}

    def spec_of(path: Path) -> _Spec:  # each theme.yaml read (and its problems told) once
        if path not in specs:
            specs[path] = _read_theme_yaml(path, report)
        return specs[path]

    folders: list[Path] = []
    issue_templates = meta.root / "templates"
    if issue_templates.is_dir():
        folders.append(issue_templates)
    folder: Path | None = _theme_folder(meta, position)
    seen: set[Path] = set()
    while folder is not None:
        if folder in seen:
            raise IssueError([Diagnostic(position, f"theme '{folder.name}' extends itself")])
        seen.add(folder)
        folders.append(folder)
        folder = spec_of(folder / "theme.yaml").extends
    default = builtin_root() / "default"
    if default not in folders:
        folders.append(default)  # the last resort for any file a theme does not have
    for folder in folders:
        if folder != default and not folder.is_relative_to(builtin_root()):
            # the issue's own (or its publication's): untrusted input, its templates/ in the issue
            _confined(folder, (meta.root if folder == issue_templates else theme_root(meta)).resolve(), report)
    report.raise_if_errors()  # before reading a theme.yaml that may be a link out of the issue
    first = next(f / "theme.yaml" for f in folders if (f / "theme.yaml").is_file())
    faces = spec_of(first).faces
    report.raise_if_errors()
    return Theme(meta.theme, tuple(folders), faces)


class _Spec(NamedTuple):
    extends: Path | None
    faces: tuple[Face, ...]


_FAMILY = re.compile(r"^[\w][\w .'-]*$")  # goes into CSS as a quoted string: nothing that ends it
_FONT_FILE = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")  # into url("…") and the OPF's hrefs as it is


def _read_theme_yaml(path: Path, report: Report) -> _Spec:
    """A theme.yaml read and checked, each problem reported at its line."""
    try:
        text = confine.read_input(path, loader.MAX_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        report.error(Position(path, 1, 1), f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
        return _Spec(None, ())
    except OSError as exc:
        report.error(Position(path, 1, 1), f"cannot read theme.yaml: {exc.strerror}")
        return _Spec(None, ())
    y = loader.parse_yaml(text, path, report)
    if y is None:
        return _Spec(None, ())
    if y.value is None:
        return _Spec(None, ())
    f = loader.Fields(y, ("name", "description", "extends", "fonts"), report, "theme.yaml")
    f.string("name"), f.string("description")
    extends = None
    name = f.string("extends")
    if name is not None:
        if name in builtin_names():
            extends = builtin_root() / name
        else:
            report.error(f.pos("extends"), f"'extends' must name a built-in theme ({', '.join(builtin_names())}), not '{name}'")
    faces = []
    fonts = f.map.get("fonts")
    if fonts is not None and fonts.value is not None and not isinstance(fonts.value, list):
        report.error(fonts.pos, "'fonts' must be a list of fonts, each with family and file")
    for item in fonts.value if fonts is not None and isinstance(fonts.value, list) else []:
        face = loader.Fields(item, ("family", "file", "weight", "style"), report, "a font")
        if not isinstance(item.value, dict):
            continue
        family, file = face.string("family", required=True), face.string("file", required=True)
        weight = face.integer("weight", 1, 1000)
        style = face.string("style") or "normal"
        if family is not None and not _FAMILY.match(family):
            report.error(face.pos("family"), f"font family '{family[:40]}': letters, digits, spaces, . ' - only")
            family = None
        style_known = style in ("normal", "italic", "oblique")
        if not style_known:
            report.error(face.pos("style"), f"font style '{style[:40]}': normal, italic or oblique")
        if (file is not None and not _FONT_FILE.fullmatch(file)) or (file is not None and {".", ".."} & set(file.split("/"))):
            report.error(face.pos("file"), f"font file '{file[:60]}': a path inside the theme folder, "
                                           "like fonts/Serif-Regular.ttf")
            file = None
        if family is not None and file is not None and style_known:
            faces.append(Face(family, file, 400 if weight is None else weight, style))
    return _Spec(extends, tuple(faces))


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _confined(folder: Path, root: Path, report: Report) -> None:
    """An issue's templates/ (or a theme inside the issue) may not reach outside the issue by
    a link, as its articles may not; and its templates must be UTF-8 text.

    Every entry is resolved, and links to folders inside the issue are walked into (once
    each): what a template, a stylesheet or a font names through such a folder is checked too.
    """
    outside = "a link that leads outside the issue folder: not read"
    try:
        if not folder.resolve(strict=True).is_relative_to(root):
            report.error(Position(folder), outside)
            return
    except (OSError, RuntimeError):  # RuntimeError: a loop of links (Python 3.11)
        report.error(Position(folder), "a link that leads nowhere (a loop, or a missing target)")
        return
    seen: set[Path] = set()
    for base, folders, files in os.walk(folder, followlinks=True):
        here = Path(base).resolve()
        if here in seen:  # a folder reached twice by links: walked once
            folders[:] = []
            continue
        seen.add(here)
        for name in list(folders) + files:
            path = Path(base) / name
            try:
                inside = path.resolve(strict=True).is_relative_to(root)
            except (OSError, RuntimeError):
                report.error(Position(path), "a link that leads nowhere (a loop, or a missing target)")
                inside = None
            if inside is False:
                report.error(Position(path), outside)
            if not inside:
                if name in folders:
                    folders.remove(name)  # never walked into
                continue
            odd = "is not UTF-8 (a byte that is no character)" if not confine.utf8_name(path) \
                else "holds a control character" if _CONTROL.search(name) else None
            if odd:  # it could name nothing in an EPUB's manifest, nor in a message
                report.error(Position(path), f"a name that {odd}; rename it")
                if name in folders:
                    folders.remove(name)
                continue
            if name in files and not _readable(path, report):
                continue
            if name.endswith(".j2") and name in files:
                try:
                    raw = confine.read_input(path, confine.THEME_FILE_LIMIT)
                    raw.decode("utf-8")
                except OSError as exc:
                    report.error(Position(path), f"cannot read the template: {exc.strerror}")
                except UnicodeDecodeError as exc:
                    line = raw[: exc.start].count(b"\n") + 1
                    col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
                    report.error(Position(path, line, col), f"not UTF-8 text (byte {exc.start}); save the template as UTF-8")


def _readable(path: Path, report: Report) -> bool:
    """Is a file of the theme a regular file no larger than its kind may be? Said when not:
    a FIFO, a device or a socket could block or never end; a huge file would fill the memory.
    (Only stat: it is read, through confine.read_input, when it is used.)"""
    try:
        status = os.stat(path)
    except OSError as exc:
        report.error(Position(path), f"cannot read: {exc.strerror}")
        return False
    suffix = path.suffix.lower()
    limit = confine.FONT_LIMIT if suffix in (".ttf", ".otf", ".woff", ".woff2") \
        else confine.THEME_FILE_LIMIT if suffix in (".j2", ".css", ".po", ".yaml", ".yml") else confine.IMAGE_LIMIT
    try:
        confine.check_status(status, limit)
    except confine.Unreadable as exc:
        report.error(Position(path), f"{exc.strerror} (a theme holds templates, stylesheets, fonts and catalogues)")
        return False
    return True


def theme_root(meta: IssueMeta) -> Path:
    """The folder a theme named by path lies in, and may not leave: the issue's, or, for a
    theme publication.yaml names, the publication's (every issue of it shares the theme)."""
    given = meta.theme_position.path if meta.theme_position is not None else None
    if given is not None and given.name == loader.PUBLICATION_FILE and given.parent == meta.root.parent:
        return meta.root.parent
    return meta.root


def _theme_folder(meta: IssueMeta, position: Position) -> Path:
    name = meta.theme
    if "/" in name or name.startswith("."):
        root = theme_root(meta)
        try:
            theme_yaml = confine.resolve(root, root, f"{name.rstrip('/')}/theme.yaml", url=False)
        except confine.Refused as exc:
            raise IssueError([Diagnostic(position, f"theme folder: {exc}")]) from None
        return theme_yaml.parent
    return _builtin(name, position)


def _builtin(name: str, position: Position) -> Path:
    folder = builtin_root() / name
    if name not in builtin_names():  # a plain name: not a path that climbs out of the themes
        raise IssueError([Diagnostic(position, f"unknown theme '{name}' (built-in themes: {', '.join(builtin_names())})")])
    return folder


# ---------------------------------------------------------------------------- a template's mistakes


def template_error(exc: Exception, theme: Theme, lang: str | None = None) -> Diagnostic | None:
    """A template's error at the template's line, or None when no template line is to blame.

    Jinja puts the templates' own lines into the traceback (its debug rewrite): the innermost
    frame that runs a file of the theme's folders is the line that failed.
    """
    import traceback

    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Diagnostic(_template_position(Path(exc.filename), exc.lineno, None), f"template syntax: {exc.message}")
    folders = [str(f) for f in theme.folders]
    every = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in every if any(f.filename.startswith(folder + os.sep) for folder in folders)]
    if not frames:
        return None
    name = None
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"no template '{exc.name}' in the theme"
        name = exc.name if isinstance(exc.name, str) else None  # Jinja's type allows an Undefined
    elif isinstance(exc, jinja2.UndefinedError):
        message, name = str(exc), (re.findall(r"'([^']+)' is undefined", str(exc)) or [None])[-1]
    elif isinstance(exc, jinja2.TemplateError):
        message = str(exc)
    elif _in_gettext(every):  # the translation, not the template, names a value: point at it
        where = _template_position(Path(frames[-1].filename), frames[-1].lineno, None)
        found = _placeholder_in_catalogue(exc, theme, lang)
        if found is not None:
            return Diagnostic(found[0], f"the translation uses {found[1]}, which the template that asks for it "
                                        f"does not give ({where})")
        message = f"a translation of this line's text has a placeholder the template does not give ({type(exc).__name__}: {exc})"
    else:
        message = f"{type(exc).__name__}: {exc}"
    return Diagnostic(_template_position(Path(frames[-1].filename), frames[-1].lineno, name), f"template: {message}")


def _in_gettext(frames) -> bool:
    """Did it fail where Jinja fills a translated string's %(name)s placeholders?"""
    return any(f.name in ("gettext", "ngettext", "pgettext", "npgettext") and f.filename.endswith(os.path.join("jinja2", "ext.py"))
               for f in frames)


def _placeholder_in_catalogue(exc: Exception, theme: Theme, lang: str | None) -> tuple[Position, str] | None:
    """The line of the catalogue whose translation names the value the template lacks."""
    from masthead.runtime import i18n

    po = i18n.catalogue_path(lang, theme.locale_dirs) if lang and isinstance(exc, KeyError) and exc.args else None
    if po is None:
        return None
    placeholder = f"%({exc.args[0]})"
    for number, text in enumerate(po.read_text("utf-8", "replace").split("\n"), 1):
        if text.lstrip().startswith(("msgstr", '"')) and placeholder in text:
            return Position(po, number, text.index(placeholder) + 1), placeholder + "s"
    return None


def _template_position(path: Path, line: int | None, name: str | None) -> Position:
    """Jinja knows the line, not the column: the name it complains of on that line, or where
    the line's text begins."""
    try:
        text = confine.read_input(path, confine.THEME_FILE_LIMIT).decode("utf-8").split("\n")[line - 1] if line else ""
    except (OSError, UnicodeDecodeError, IndexError):
        return Position(path, line)
    found = text.find(name) if name else -1
    return Position(path, line, (found if found >= 0 else len(text) - len(text.lstrip())) + 1)


def written_at(theme: Theme, line: str) -> Position | None:
    """The one template line that holds the broken output line as it stands, if any: Jinja
    cannot map output to source, but a line with no values in it is its own source."""
    found = []
    for folder in theme.folders:
        for path in sorted(folder.glob("*.j2")):
            try:
                lines = confine.read_input(path, confine.THEME_FILE_LIMIT).decode("utf-8").split("\n")
            except (OSError, UnicodeDecodeError):
                continue
            found += [Position(path, n, text.index(line) + 1) for n, text in enumerate(lines, 1) if line in text]
    return found[0] if line and len(found) == 1 else None
