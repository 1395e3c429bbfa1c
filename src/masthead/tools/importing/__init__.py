"""``masthead import``: an issue folder made from what is written elsewhere, to edit and build.

The one command of masthead that reads from outside an issue folder, and the only one that
fetches (fetch.py, within the limits it is given). It reads a source (sources.py: an RSS or Atom
feed, a Ghost or WordPress export, a folder of DOCX files), chooses entries (``since``, ``tag``,
``limit``), writes each as an article (articles.py; DOCX files are copied as they are, for the
DOCX reader to read at build time) and writes ``issue.yaml`` listing them, in one section or one
per first category.

Running it again into the same folder is idempotent. The folder keeps ``.masthead-import.json``:
for each entry (keyed by its GUID or id) the article file written for it and the sha256 of the
bytes written. Then:

- an entry seen before whose file is as written is written again (the same bytes when the
  source has not changed); one whose file was edited since is kept as it is, and one whose
  file was deleted is not written again;
- ``issue.yaml`` is written again only when it is as the last import wrote it (its hash is in
  the state too); once the person has edited it, it is never touched, and the entries new in
  this run are printed as YAML lines to add by hand (PyYAML would lose the file's comments,
  and a text edit of a hand-edited file can go wrong in ways no one sees).

Every file is written whole (a temporary file, then renamed); nothing is written before every
fetch and check is done, so an unreachable feed, a malformed export or a refused folder leaves
the folder as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from masthead.diagnostics import UsageError, one_line
from masthead.tools.importing.fetch import FEED_TYPES, Fetcher, FetchError, Limits, web_url
from masthead.tools.importing.sources import Entry, Source, SourceError

STATE = ".masthead-import.json"
KINDS = ("feed", "ghost", "wordpress", "docx")
OTHER_SECTION = "More"

__all__ = ["KINDS", "STATE", "FetchError", "Limits", "Options", "Outcome", "SourceError", "run"]


@dataclass
class Options:
    since: dt.date | None = None
    limit: int | None = None
    tag: str | None = None
    by_category: bool = False
    images: bool = True
    publication: str | None = None
    language: str | None = None
    site: str | None = None  # the site's address: Ghost's __GHOST_URL__, relative links and images
    limits: Limits = field(default_factory=Limits)


@dataclass
class Outcome:
    """What a run did, for the command to print."""

    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # edited by hand since the last import
    deleted: list[Path] = field(default_factory=list)  # deleted by hand: not written again
    warnings: list[str] = field(default_factory=list)
    by_hand: list[str] = field(default_factory=list)  # issue.yaml lines to add by hand
    entries: int = 0  # chosen from the source
    fetched: int = 0  # bytes fetched from the network
    issue_yaml: str = "written"  # written | unchanged | kept


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # two letters at least: C:\ is a path


def _read_file(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise UsageError(one_line(f"{path}: larger than {limit:,} bytes (--max-total-size)"))
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(one_line(f"{path}: {exc.strerror or exc}")) from None


def read_source(kind: str, where: str, fetcher: Fetcher) -> Source:
    """The source named on the command line, read (a feed fetched when it is a URL)."""
    from masthead.tools.importing import sources

    if kind == "docx":
        return sources.read_docx_folder(Path(where))
    scheme = _SCHEME.match(where.strip())
    if scheme and kind == "feed":
        if not web_url(where):
            raise UsageError(one_line(f"{where}: only http and https feeds are fetched, or give a file "
                                      f"({scheme.group(1)}: refused)"))
        data, url, content_type = fetcher.get(where, FEED_TYPES, "feed")
        return sources.read_feed(data, where, url, content_type)
    if scheme:
        raise UsageError(one_line(f"{where}: give the export as a file, not a URL"))
    path = Path(where)
    if not path.is_file():
        raise UsageError(one_line(f"{where}: no such file"))
    data = _read_file(path, fetcher.limits.max_total)
    if kind == "feed":
        return sources.read_feed(data, where, None)
    if kind == "ghost":
        return sources.read_ghost(data, path)
    return sources.read_wordpress(data, path)


def choose(entries: list[Entry], options: Options) -> list[Entry]:
    """The entries ``since``, ``tag`` and ``limit`` choose, in the source's order."""
    chosen = entries
    if options.tag is not None:
        wanted = options.tag.casefold().strip()
        chosen = [e for e in chosen if any(c.casefold() == wanted for c in e.categories)]
    if options.since is not None:
        since = options.since.isoformat()
        chosen = [e for e in chosen if e.date is not None and e.date >= since]
    if options.limit is not None:
        chosen = chosen[:options.limit]
    return chosen


def slug(text: str) -> str:
    """A file name from a headline: ASCII letters and digits joined by hyphens, 60 at most."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    name = ""
    for word in words:
        if len(name) + len(word) + 1 > 60:
            break
        name = f"{name}-{word}" if name else word
    return name or "entry"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_state(folder: Path) -> dict:
    path = folder / STATE
    if not path.exists():
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UsageError(one_line(f"{folder}: already exists, is not empty and holds no {STATE} "
                                      "(it was not made by masthead import); give a new folder"))
        return {"format": 1, "issue_yaml": None, "entries": []}
    try:
        state = json.loads(path.read_text("utf-8"))
        if not isinstance(state, dict) or not isinstance(state.get("entries"), list):
            raise ValueError("no entries")
        for record in state["entries"]:
            if not all(isinstance(record.get(k), str) for k in ("key", "file", "sha256")) \
                    or not _inside(folder, record["file"]):
                raise ValueError("an entry without key, file and sha256, or outside the folder")
    except (OSError, ValueError, AttributeError) as exc:
        raise UsageError(one_line(f"{path}: cannot be read ({exc}); move it away to import afresh")) from None
    return state


def _inside(folder: Path, name: str) -> bool:
    return not Path(name).is_absolute() and ".." not in Path(name).parts and not name.startswith("/")


def run(kind: str, where: str, folder: Path, options: Options | None = None) -> Outcome:
    """Import ``where`` (a feed URL or file, an export file, a folder of DOCX files) into ``folder``."""
    from masthead.runtime import i18n
    from masthead.tools.importing import articles

    options = options or Options()
    if kind not in KINDS:
        raise UsageError(f"{kind}: choose from {', '.join(KINDS)}")
    if kind == "docx" and (options.since or options.tag):
        raise UsageError("--since and --tag choose by date and category, which Word files do not carry here; "
                         "give only --limit with docx")
    if options.site and not web_url(options.site):
        raise UsageError(one_line(f"--site: '{options.site}' is not an http(s) address"))
    state = _load_state(folder)
    outcome = Outcome()
    fetcher = Fetcher(options.limits)
    source = read_source(kind, where, fetcher)
    chosen = choose(source.entries, options)
    if not chosen and not state["entries"]:
        raise UsageError(one_line(f"{where}: no entry to import ({len(source.entries)} in the source, "
                                  "none chosen by --since, --tag and --limit)"))
    if options.site:
        site = options.site.strip().rstrip("/")
        for entry in chosen:
            entry.body = entry.body.replace("__GHOST_URL__", site)
            entry.image = entry.image.replace("__GHOST_URL__", site) if entry.image else None
            entry.base = entry.base or site + "/"
    outcome.entries = len(chosen)
    images = articles.Images(fetcher if options.images else None, outcome.warnings.append)

    records = {r["key"]: r for r in state["entries"]}
    taken = {r["file"] for r in state["entries"]}
    if (folder / "articles").is_dir():
        taken |= {f"articles/{p.name}" for p in (folder / "articles").iterdir()}
    planned: dict[str, bytes] = {}
    this_run: list[str] = []
    new_keys: list[str] = []
    for entry in chosen:
        record = records.get(entry.key)
        if record is not None:
            path = folder / record["file"]
            if not path.exists():
                outcome.deleted.append(path)
                continue
            if _sha(path.read_bytes()) != record["sha256"]:
                outcome.kept.append(path)
                this_run.append(entry.key)
                continue
        else:
            suffix = ".docx" if entry.file is not None else ".html"
            stem = slug(entry.file.stem if entry.file is not None else entry.title or entry.date or "entry")
            name, n = f"articles/{stem}{suffix}", 2
            while name in taken:
                name, n = f"articles/{stem}-{n}{suffix}", n + 1
            taken.add(name)
            record = {"key": entry.key, "file": name, "sha256": ""}
            records[entry.key] = record
            new_keys.append(entry.key)
        record["section"] = entry.categories[0] if entry.categories else ""
        if entry.file is not None:
            data = _read_file(entry.file, options.limits.max_file)
            from masthead.content.readers import docx

            record["style_map"] = docx.suggested_style_map(data, entry.file)  # its house styles, by their names
        else:
            data = articles.article_bytes(entry, images, outcome.warnings.append)
        planned[record["file"]] = data
        this_run.append(entry.key)
        if entry.key in new_keys:
            record["sha256"] = _sha(data)
        else:
            record["new_sha256"] = _sha(data)
    outcome.fetched = fetcher.fetched

    # The order of the issue: this run's entries as the source gives them, then those of
    # earlier runs that this one did not choose, as they were.
    order = this_run + [r["key"] for r in state["entries"] if r["key"] not in this_run]
    listed = [records[k] for k in order if (folder / records[k]["file"]).exists() or records[k]["file"] in planned]
    issue_text = issue_yaml(kind, where, source, listed, options, i18n.is_valid_tag, chosen)
    issue_path = folder / "issue.yaml"
    write_issue = not issue_path.exists() or _sha(issue_path.read_bytes()) == state.get("issue_yaml")
    if not write_issue:
        outcome.issue_yaml = "kept"
        outcome.by_hand = [f"- {records[k]['file']}" + (f"   # section: {records[k].get('section') or OTHER_SECTION}"
                                                          if options.by_category else "") for k in new_keys]
    elif issue_path.exists() and issue_path.read_bytes() == issue_text:
        outcome.issue_yaml = "unchanged"

    # Everything is known: write it, each file whole, into folders of the import's own (a link
    # in their place would take the files elsewhere).
    for sub in (folder, folder / "articles", folder / "images"):
        if sub != folder and (sub.is_symlink() or (sub.exists() and not sub.is_dir())):
            raise SourceError(one_line(f"{sub}: a link or not a folder; masthead import writes only into folders of its own"))
    for name, data in sorted(images.files.items()):
        if (folder / name).exists():  # named by what it held: one there was written before, or retouched since
            continue
        _write(folder / name, data, outcome)
    for name, data in planned.items():
        _write(folder / name, data, outcome)
    if write_issue:
        _write(issue_path, issue_text, outcome)
    for record in records.values():
        if "new_sha256" in record:
            record["sha256"] = record.pop("new_sha256")
    state = {"format": 1, "kind": kind, "source": where,
             "issue_yaml": _sha(issue_text) if write_issue else state.get("issue_yaml"),
             "entries": [records[k] for k in order] + [r for k, r in records.items() if k not in order]}
    _write(folder / STATE, (json.dumps(state, ensure_ascii=False, indent=1) + "\n").encode("utf-8"), None)
    return outcome


def _write(path: Path, data: bytes, outcome: Outcome | None) -> None:
    existed = path.exists()
    if existed and path.read_bytes() == data:
        if outcome is not None:
            outcome.unchanged.append(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    if outcome is not None:
        (outcome.updated if existed else outcome.created).append(path)


HEADER = """\
# Written by `masthead import {kind}` from {source}.
# Edit it as any issue.yaml (`masthead new` writes one that shows every key). Running the
# same import again rewrites this file only while it is as the import wrote it; once you have
# edited it, the import prints the new entries for you to add here by hand, and never touches it.
"""


def _entry(record: dict) -> str | dict:
    """A manifest entry: the article's path, or a mapping with the style_map its Word file suggests."""
    return {"file": record["file"], "style_map": record["style_map"]} if record.get("style_map") else record["file"]


def issue_yaml(kind: str, where: str, source: Source, listed: list[dict], options: Options,
               valid_tag, chosen: list[Entry]) -> bytes:
    """The manifest listing ``listed`` (state records, in order)."""
    import yaml

    dates = sorted(e.date for e in chosen if e.date)
    language = options.language or (source.language.strip() if valid_tag(source.language.strip()) else "") or "en"
    data: dict = {
        "publication": options.publication or source.publication or Path(where).stem or "Imported",
        "date": dt.date.fromisoformat(dates[-1]) if dates else dt.date.today(),
        "language": language,
    }
    if source.description:
        data["description"] = source.description
    if options.by_category:
        sections: dict[str, list[str | dict]] = {}
        for record in listed:
            sections.setdefault(record.get("section") or OTHER_SECTION, []).append(_entry(record))
        if OTHER_SECTION in sections:  # entries without a category come last
            sections[OTHER_SECTION] = sections.pop(OTHER_SECTION)
        data["sections"] = [{"title": title, "articles": files} for title, files in sections.items()]
    else:
        data["articles"] = [_entry(r) for r in listed]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return (HEADER.format(kind=kind, source=one_line(where)) + "\n" + text).encode("utf-8")

