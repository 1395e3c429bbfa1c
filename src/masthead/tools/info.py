"""``masthead info``: the issue as masthead reads it, as an aligned table or as JSON.

The data comes from :func:`masthead.tools.check.check` (so an issue with errors is refused with the
same messages ``check`` and ``build`` give): the metadata from the manifest, with the title the
render stage resolves when the manifest gives none, where each setting given stands (issue.yaml,
or the publication.yaml beside the issue folder that it inherits), and per article what the content
stage made of it: its file, headline, byline, language, word count and reading time; and for each
language the articles' ``translations`` name, the articles that have none in it.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from masthead.diagnostics import Position
from masthead.manifest import editions, loader
from masthead.model.issue import Article
from masthead.tools.check import Checked

METADATA = ("publication", "title", "date", "number", "language", "direction", "identifier", "theme")
COLUMNS = (("file", "file"), ("title", "title"), ("byline", "byline"), ("lang", "language"),
           ("words", "words"), ("min", "reading_time"))
NUMERIC = {"words", "reading_time"}


def describe(checked: Checked) -> dict:
    """The JSON object ``masthead info --json`` prints, for an issue without errors."""
    issue, rendered = checked.issue, checked.rendered
    assert issue is not None and rendered is not None, "describe() needs an issue without errors"
    meta = issue.meta
    metadata = {
        "publication": meta.publication, "title": rendered.meta.title, "date": meta.date.isoformat(),
        "number": meta.number, "language": meta.language, "direction": meta.direction,
        "identifier": meta.identifier, "theme": meta.theme,
    }
    sections = [{"title": s.title, "articles": [_article(a, meta.root) for a in s.articles]} for s in issue.sections]
    assert checked.run is not None
    manifest = checked.run.original
    entries = [e for s in manifest.sections for e in s.entries]
    translations = {lang: {"articles": len(entries) - len(missing),
                           "missing": [_relative(e.file, meta.root) for e in missing]}
                    for lang, missing in editions.untranslated(manifest).items()}
    articles = [a for s in issue.sections for a in s.articles]
    return {
        "issue": str(Position(checked.manifest_path)),
        "metadata": metadata,
        "sections": sections,
        "totals": {"articles": len(articles), "words": sum(a.words for a in articles),
                   "reading_time": sum(a.reading_time for a in articles)},
        "translations": translations,  # per language an edition can be built in: the articles without one
        "sources": {key: None if at is None else str(at) for key, at in loader.sources(checked.manifest_path).items()},
        "images": {
            "files": len(issue.assets) + (1 if meta.cover else 0),
            "bytes_in_issue": issue.image_bytes,
            "bytes_in_epub": sum(len(r.data) for r in rendered.resources_for("epub") if r.media_type.startswith("image/")),
        },
    }


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # cannot happen for a checked issue: every file is inside it
        return str(path)


def _article(article: Article, root: Path) -> dict:
    file = _relative(article.source, root)
    return {"file": file, "title": article.title, "byline": list(article.byline), "language": article.lang,
            "words": article.words, "reading_time": article.reading_time}


def table(data: dict) -> str:
    """The human form: metadata as ``key  value`` lines, then the articles, section by section."""
    lines = []
    width = max(len(k) for k in METADATA)
    for key in METADATA:
        value = data["metadata"][key]
        lines.append(f"{key.ljust(width)}  {'—' if value is None else value}".rstrip())
    rows = [[_cell(article, key) for _, key in COLUMNS] for s in data["sections"] for article in s["articles"]]
    header = [label for label, _ in COLUMNS]
    widths = [max([_width(header[i])] + [_width(r[i]) for r in rows]) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        out = []
        for (_label, key), cell, w in zip(COLUMNS, cells, widths, strict=True):
            pad = " " * (w - _width(cell))
            out.append(pad + cell if key in NUMERIC else cell + pad)
        return ("  " + "  ".join(out)).rstrip()

    for section in data["sections"]:
        lines += ["", section["title"] or "(no section title)", line(header)]
        for article in section["articles"]:
            lines.append(line([_cell(article, key) for _, key in COLUMNS]))
    given = {key: at for key, at in data.get("sources", {}).items() if at is not None}
    if given:  # where each setting given stands: issue.yaml, or the publication.yaml it inherits
        lines += ["", "settings from"]
        width = max(len(key) for key in given)
        lines += [f"  {key.ljust(width)}  {at}" for key, at in given.items()]
    totals = data["totals"]
    lines += ["", f"{totals['articles']} articles, {totals['words']:,} words, "
                  f"{totals['reading_time']} min of reading"]
    for lang, found in data["translations"].items():
        missing = found["missing"]
        lines.append(f"edition {lang}: {found['articles']} of {totals['articles']} articles translated"
                     + (f"; none for {', '.join(missing)}" if missing else ""))
    images = data["images"]
    if images["files"]:
        lines.append(f"{images['files']} images: {images['bytes_in_issue'] / 1024:,.0f} KB in the issue, "
                     f"{images['bytes_in_epub'] / 1024:,.0f} KB in the EPUB (cover included)")
    return "\n".join(lines)


def _cell(article: dict, key: str) -> str:
    value = article[key]
    if key == "byline":
        return ", ".join(value) or "—"
    return str(value)


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: wide East Asian characters take two, marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
