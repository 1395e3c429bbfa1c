"""Which reader reads an article file: the readers in use, asked in order by the file's suffix.

The manifest accepts an article file exactly when some reader here reads it (:func:`accepts`,
and :func:`unsupported` for the message when none does). A new input format is a module with
a :class:`~masthead.content.readers.base.Reader` and a call to :func:`register`; nothing
else changes.
"""

from __future__ import annotations

from pathlib import Path

from masthead.content.readers import docx, html, markdown
from masthead.content.readers.base import Reader

READERS: list[Reader] = [markdown.READER, html.READER, docx.READER]


def register(reader: Reader) -> Reader:
    """Add ``reader``; it is asked before the readers already there, so it may take a suffix over."""
    READERS.insert(0, reader)
    return reader


def unregister(reader: Reader) -> None:
    READERS.remove(reader)


def reader_for(path: Path) -> Reader | None:
    suffix = path.suffix.lower()
    return next((reader for reader in READERS if suffix in reader.suffixes), None)


def accepts(path: Path) -> bool:
    return reader_for(path) is not None


def unsupported(shown_ref: str) -> str:
    """The message for an article file no reader reads:
    "'x.doc' is neither Markdown (.md) nor HTML (.html, .xhtml)"."""
    kinds = [f"{reader.name} ({', '.join(reader.shown or reader.suffixes)})" for reader in READERS]
    if len(kinds) == 1:
        return f"'{shown_ref}' is not {kinds[0]}"
    return f"'{shown_ref}' is neither {', '.join(kinds[:-1])} nor {kinds[-1]}"


