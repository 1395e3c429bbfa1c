"""An issue's editions: the issue again in the language of its articles' ``translations``.

``masthead build --edition fr`` builds the manifest :func:`edition` makes of the issue's: each
article that has a French translation is read from that file (its id, and so its documents'
names, kept from the original's, so the editions' pages link to one another); every other
article from its own file, in its own language and direction. The issue itself is in French:
its interface words, contents title, dates, its EPUB's language and direction; its outputs are
named ``<slug>.fr.*`` (the slug names them) and its EPUB has an identifier of its own, derived
from the issue's.

A tag no article is translated into is still an edition (every article in its original, the
issue's words in that language): a publisher may want the frame in a language before the
translations are done. The build says so in a warning.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import NamedTuple

from masthead.diagnostics import Position, Report, UsageError
from masthead.model.issue import ArticleEntry, Manifest
from masthead.runtime import i18n


def languages(manifest: Manifest) -> tuple[str, ...]:
    """Every language the manifest's articles are translated into, in the order first named."""
    found: dict[str, None] = {}
    for entry in (e for s in manifest.sections for e in s.entries):
        found.update((t.lang, None) for t in entry.translations)
    return tuple(found)


def untranslated(manifest: Manifest) -> dict[str, tuple[ArticleEntry, ...]]:
    """For each language of :func:`languages`, the entries without a translation into it."""
    entries = [e for s in manifest.sections for e in s.entries]
    return {lang: tuple(e for e in entries if lang not in {t.lang for t in e.translations})
            for lang in languages(manifest)}


def tag_of(given: str) -> str:
    """``--edition``'s value as a tag in its conventional case; a malformed one is a usage error."""
    if not i18n.is_valid_tag(given.strip()):
        raise UsageError(f"--edition '{given}' is not a BCP 47 language tag (like fr, ar, pt-BR)")
    return i18n.canonical_tag(given.strip())


def edition(manifest: Manifest, tag: str, report: Report) -> Manifest:
    """The manifest of the issue's edition in ``tag`` (from :func:`tag_of`)."""
    meta = manifest.meta
    if tag.lower() == meta.language.lower():
        raise UsageError(f"the issue is in '{meta.language}' already: build it without --edition")
    if tag not in languages(manifest):
        report.warning(Position(meta.manifest_path), f"no article is translated into '{tag}': its edition has every "
                       f"article in its own language, the issue's words in {i18n.language_name(tag)}")
    sections = []
    for section in manifest.sections:
        entries = []
        for entry in section.entries:
            translated = next((t for t in entry.translations if t.lang == tag), None)
            if translated is None:  # the original, in the language it had in the issue
                entries.append(entry._replace(language=meta.language))
            else:  # its own file: its title and the rest are the translation's, not the entry's
                entries.append(ArticleEntry(translated.file, {}, translated.position, entry.translations,
                                            original=entry.file, language=tag))
        sections.append(section._replace(entries=tuple(entries)))
    edited = meta._replace(slug=f"{meta.slug}.{tag}", language=tag, direction=i18n.direction_of(tag),
                           identifier=identifier(meta.identifier, tag), written_in=meta.language)
    return Manifest(edited, tuple(sections), manifest.adverts)  # the same adverts in every edition


def identifier(original: str, tag: str) -> str:
    """The edition's EPUB identifier: the same for the same issue and language on every build."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'masthead-edition:{original}|{tag}')}"


class Version(NamedTuple):
    """An article in one edition, as a language switch links to it."""

    lang: str  # the article's language there
    folder: str  # the web edition's folder it is in: the slug of that edition
    current: bool  # the edition being built


def versions(manifest: Manifest, edition_tag: str | None) -> dict[Path, tuple[Version, ...]]:
    """For each translated article of the original ``manifest``, by the file the build of
    ``edition_tag`` (None: the original) reads: the article in the original and in each
    translation, in that order. An article without translations has none."""
    slug = manifest.meta.slug
    out: dict[Path, tuple[Version, ...]] = {}
    for entry in (e for s in manifest.sections for e in s.entries):
        if not entry.translations:
            continue
        original_lang = entry.overrides.get("lang") or manifest.meta.language
        found = [Version(original_lang, slug, edition_tag is None)]
        found += [Version(t.lang, f"{slug}.{t.lang}", t.lang == edition_tag) for t in entry.translations]
        read = next((t.file for t in entry.translations if t.lang == edition_tag), entry.file)
        out[read] = tuple(found)
    return out
