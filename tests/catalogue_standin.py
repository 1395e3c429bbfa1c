"""A stand-in for masthead.catalogue (records and site) while that package is not there yet:
the interface the catalogue build calls, and nothing more. The tests use the real package
when it is importable; this only lets the catalogue build's own tests run without it."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass


@dataclass(frozen=True)
class Publication:
    name: str
    issn: str | None
    publisher: str | None
    rights: str | None
    language: str
    site_url: str | None
    description: str | None


@dataclass(frozen=True)
class IssueListing:
    slug: str
    title: str
    date: object
    number: int | None
    files: tuple[tuple[str, str], ...]


def listing_of(issue, files, slug, cover_bytes=None):
    return IssueListing(slug, issue.meta.title or issue.meta.publication, issue.meta.date,
                        issue.meta.number, tuple(sorted(files.items())))


def catalogue_files(publication, listings):
    entries = [{"slug": x.slug, "title": x.title, "date": x.date.isoformat(), "files": dict(x.files)}
               for x in sorted(listings, key=lambda x: x.date, reverse=True)]
    page = "".join(f"<li>{e['date']} {e['title']}</li>" for e in entries)
    return {"index.html": f"<!DOCTYPE html><title>{publication.name}</title><ul>{page}</ul>".encode(),
            "opds/root.json": json.dumps({"metadata": {"title": publication.name}, "publications": entries},
                                         sort_keys=True).encode()}


def install() -> bool:
    """Put the stand-in where masthead.catalogue would be, unless the real one is there; True if so."""
    try:
        import masthead.catalogue.records
        import masthead.catalogue.site  # noqa: F401
        return False
    except ImportError:
        pass
    package = types.ModuleType("masthead.catalogue")
    package.__path__ = []
    records = types.ModuleType("masthead.catalogue.records")
    records.Publication, records.IssueListing, records.listing_of = Publication, IssueListing, listing_of
    site = types.ModuleType("masthead.catalogue.site")
    site.catalogue_files = catalogue_files
    sys.modules.update({"masthead.catalogue": package, "masthead.catalogue.records": records,
                        "masthead.catalogue.site": site})
    return True
