"""Theme lookup: the issue's own ``templates/`` → the chosen theme → its parents → built-in.

A theme is a folder with ``theme.yaml`` (``name``, ``extends``), Jinja templates
(``*.xhtml.j2``), ``css/``, ``fonts/`` and ``locale/``. Any file may be overridden by a folder
earlier in the chain, file by file, as in mkdocs' ``custom_dir``. Themes are trusted code
(templates run), unlike issues; a theme named by path must still lie inside the issue folder.
"""

from __future__ import annotations

from dataclasses import dataclass
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
