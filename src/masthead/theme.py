"""Theme lookup: the issue's own ``templates/`` → the chosen theme → its parents → built-in.

A theme is a folder with ``theme.yaml`` (``name``, ``extends``), Jinja templates
(``*.xhtml.j2``), ``css/``, ``fonts/`` and ``locale/``. Any file may be overridden by a folder
earlier in the chain, file by file, as in mkdocs' ``custom_dir``. Themes are trusted code
(templates run), unlike issues; a theme named by path must still lie inside the issue folder.

A template's mistake is still the user's: :func:`template_error` finds the template line a
rendering error came from, so the build reports it there like any other bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
import re
from pathlib import Path

import yaml

from masthead import fetch, manifest
from masthead.errors import IssueError, Diagnostic, Position
from masthead.model import IssueMeta


def builtin_root() -> Path:
    """Where the built-in themes live: inside the wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parents[1] / "templates"):
        if (candidate / "default" / "theme.yaml").is_file():
            return candidate
    raise RuntimeError("masthead is installed without its templates")  # a packaging bug


def builtin_names() -> list[str]:
    return sorted(p.name for p in builtin_root().iterdir() if (p / "theme.yaml").is_file())


@dataclass(frozen=True)
class Theme:
    name: str
    folders: tuple[Path, ...]  # first match wins

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
    def locale_dirs(self) -> tuple[Path, ...]:
        return tuple(f / "locale" for f in self.folders if (f / "locale").is_dir())


def load(meta: IssueMeta) -> Theme:
    """The theme chain for an issue; an unknown theme is a positioned error."""
    position = meta.theme_position or Position(meta.manifest_path, 1, 1)
    folders: list[Path] = []
    issue_templates = meta.root / "templates"
    if issue_templates.is_dir():
        folders.append(issue_templates)
    folder = _theme_folder(meta, position)
    seen: set[Path] = set()
    while folder is not None:
        if folder in seen:
            raise IssueError([Diagnostic(position, f"theme '{folder.name}' extends itself")])
        seen.add(folder)
        folders.append(folder)
        parent = _read_theme_yaml(folder, position).get("extends")
        folder = _builtin(parent, position) if parent else None
    default = builtin_root() / "default"
    if default not in folders:
        folders.append(default)  # the last resort for any file a theme does not have
    return Theme(meta.theme, tuple(folders))


def _theme_folder(meta: IssueMeta, position: Position) -> Path:
    name = meta.theme
    if "/" in name or name.startswith("."):
        try:
            theme_yaml = fetch.resolve(meta.root, meta.root, f"{name.rstrip('/')}/theme.yaml")
        except fetch.Refused as exc:
            raise IssueError([Diagnostic(position, f"theme folder: {exc}")]) from None
        return theme_yaml.parent
    return _builtin(name, position)


def _builtin(name: str, position: Position) -> Path:
    folder = builtin_root() / name
    if not (folder / "theme.yaml").is_file():
        raise IssueError([Diagnostic(position, f"unknown theme '{name}' (built-in themes: {', '.join(builtin_names())})")])
    return folder


def _read_theme_yaml(folder: Path, position: Position) -> dict:
    try:
        data = manifest.safe_load((folder / "theme.yaml").read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IssueError([Diagnostic(Position(folder / "theme.yaml", 1, 1), f"invalid theme.yaml: {exc}")]) from None
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------------------- a template's mistakes


def template_error(exc: Exception, theme: Theme) -> Diagnostic | None:
    """A template's error at the template's line, or None when no template line is to blame.

    Jinja puts the templates' own lines into the traceback (its debug rewrite): the innermost
    frame that runs a file of the theme's folders is the line that failed.
    """
    import traceback

    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Diagnostic(_template_position(Path(exc.filename), exc.lineno, None), f"template syntax: {exc.message}")
    folders = [str(f) for f in theme.folders]
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if any(f.filename.startswith(folder + os.sep) for folder in folders)]
    if not frames:
        return None
    name = None
    if isinstance(exc, jinja2.TemplateNotFound):
        message, name = f"no template '{exc.name}' in the theme", exc.name
    elif isinstance(exc, jinja2.UndefinedError):
        message, name = str(exc), (re.findall(r"'([^']+)' is undefined", str(exc)) or [None])[-1]
    elif isinstance(exc, jinja2.TemplateError):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    return Diagnostic(_template_position(Path(frames[-1].filename), frames[-1].lineno, name), f"template: {message}")


def _template_position(path: Path, line: int | None, name: str | None) -> Position:
    """Jinja knows the line, not the column: the name it complains of on that line, or where
    the line's text begins."""
    try:
        text = path.read_text("utf-8").split("\n")[line - 1] if line else ""
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
                lines = path.read_text("utf-8").split("\n")
            except (OSError, UnicodeDecodeError):
                continue
            found += [Position(path, n, text.index(line) + 1) for n, text in enumerate(lines, 1) if line in text]
    return found[0] if line and len(found) == 1 else None
