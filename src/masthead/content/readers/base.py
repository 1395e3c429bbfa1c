"""What a reader of article files is: the :class:`Reader` interface, the one shape of what it
gives (:class:`ReaderResult`), and what text formats share (:func:`decode_text`).

A reader reads one kind of article file (Markdown, HTML …): given the file's bytes it decodes
them as its format wants, takes the article's fields (front matter, ``<meta>``), parses the body
into a tree and gives it all back. :mod:`masthead.content.reading` cleans, shapes and links that
tree whatever the format was. The readers in use are listed in :mod:`.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from masthead.diagnostics import Position, Report

KNOWN_PREFIXES = {  # epub:type vocabularies an article may use without declaring them
    "z3998": "http://www.daisy.org/z3998/2012/vocab/structure/#",
    "se": "https://standardebooks.org/vocab/1.0",
}


class ReaderResult(NamedTuple):
    """An article as its reader gives it; ``body`` None when it could not be read (and said so)."""

    fields: dict  # the article's own fields (front matter, <meta>), validated as the manifest's are
    lang: str | None  # the language the file says it is in, if any
    body: object | None  # an lxml element holding the body, to be cleaned by sanitize.clean
    prefixes: dict[str, str]  # epub:type prefix → vocabulary URI, those the body may use
    text: str = ""  # the source as text, where a reference is searched for to position a message
    body_start: int = 0  # where the body begins in ``text`` (after a front matter)
    source_lines: bool = False  # do the body's elements carry the file's own lines (sourceline)?
    # A format whose bytes are no text to search (a Word document) says where each URL of its
    # body stands (an <img> src, an <a> href → its place: "paragraph 14"), and nothing is searched.
    places: Mapping[str, Position] | None = None
    # Pictures the file holds (a Word document's media), by the src its body gives them: each
    # becomes an asset of the issue through the same checks as an image file.
    embedded: Mapping[str, bytes] = {}  # never changed: a reader gives its own


class Reader(Protocol):
    """One input format."""

    name: str  # as the writer knows it: "Markdown"
    suffixes: tuple[str, ...]  # the file name endings it reads, lower case with the dot: (".md",)
    shown: tuple[str, ...]  # the suffixes named in a message (".md"): all of them when empty
    # A reader may also say ``max_bytes``, the largest file it reads (a Word document holds its
    # pictures); the read stage's limit for an article otherwise.

    def read(self, raw: bytes, path: Path, entry, meta, report: Report) -> ReaderResult:
        """The article in ``raw`` (the bytes of ``path``, named in the manifest by ``entry``, in
        the issue of ``meta``); problems go to ``report``, positioned in ``path``."""
        ...


def decode_text(raw: bytes, path: Path, report: Report) -> str | None:
    """A text format's bytes as text: UTF-8 (its BOM dropped), or UTF-16 when a BOM says so
    (Windows editors' "Unicode"). None, and an error at the line of the first bad byte, otherwise."""
    try:
        return raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.error(Position(path, line, 1), f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
        return None
