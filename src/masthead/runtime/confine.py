"""Confinement: the only way masthead turns a reference from the input into a file to read.

Manifests and articles are untrusted. Every path they name goes through :func:`resolve` and is
read only when it resolves, after symlinks, inside the issue folder. URLs with a scheme
(``http:``, ``file:``, ``javascript:`` …) are never fetched; ``data:`` URIs are decoded here,
up to a size limit. The PDF exporter's WeasyPrint fetcher serves only rendered resources, so no
loader anywhere can reach outside the issue and the theme.
"""

from __future__ import annotations

import base64
import binascii
import errno
import os
import re
import stat
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

DATA_URI_LIMIT = 2 * 1024 * 1024  # bytes after decoding
# What one input file may weigh, by kind, checked on the open file before it is read (the
# article and manifest limits are content.MAX_ARTICLE_BYTES and manifest.MAX_BYTES).
IMAGE_LIMIT = 128 * 1024 * 1024  # a 60-megapixel image, uncompressed TIFF included, is less
FONT_LIMIT = 64 * 1024 * 1024  # the largest CJK fonts are ~20 MB
THEME_FILE_LIMIT = 4 * 1024 * 1024  # a template, a stylesheet, a catalogue
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DATA = re.compile(r"^data:([\w.+\-]+/[\w.+\-]+)?((?:;[\w\-]+=[\w\-]+)*)(;base64)?,(.*)$", re.S)


class Refused(ValueError):
    """A reference that may not be read; the message says why, for the user."""


def has_scheme(ref: str) -> bool:
    # "c:/x" is a scheme to urlsplit too; we refuse it alike.
    return bool(_SCHEME.match(ref.strip()))


def split_ref(ref: str) -> tuple[str, str]:
    """("path", "fragment") of a relative reference; query strings are dropped."""
    parts = urlsplit(ref.strip())
    return unquote(parts.path), parts.fragment


def resolve(root: Path, base_dir: Path, ref: str, url: bool = True, folder: str = "the issue folder") -> Path:
    """The file that ``ref`` (relative to ``base_dir``) names, inside ``root``; or Refused.
    ``url``: ``ref`` is a URL (an article's link or image: ``%41`` is ``A``, ``#`` starts a
    fragment); otherwise a file path as written (the manifest's, a front matter's).
    ``folder``: what ``root`` is, as the messages name it."""
    ref = ref.strip()
    if not ref:
        raise Refused("empty path")
    if ref.startswith("data:"):
        raise Refused("a data: URI is not a file")
    if has_scheme(ref) or ref.startswith("//"):
        raise Refused(f"'{ref}' is not a path inside the issue folder (URLs are never fetched)")
    path_part = split_ref(ref)[0] if url else ref
    if path_part.startswith("/") or PurePosixPath(path_part).is_absolute() or "\\" in path_part or "\0" in path_part:
        raise Refused(f"'{ref}' is an absolute path; paths are relative to the file that names them")
    try:
        root = root.resolve()
        target = (base_dir / path_part).resolve()
    except RuntimeError:  # Python 3.11 on a loop of links (3.13 raises OSError: ELOOP)
        raise Refused(f"'{ref}' is a link that leads nowhere (a loop of links)") from None
    except OSError as exc:  # a name too long for the file system …
        raise Refused(f"'{ref[:200]}' cannot be followed: {exc.strerror or exc}") from None
    if not target.is_relative_to(root):
        raise Refused(f"'{ref}' resolves outside {folder}")
    if not utf8_name(target):  # a link may name one: its name could go nowhere (an EPUB, a message)
        raise Refused(f"'{ref}' leads to a file whose name is not UTF-8; rename it")
    try:
        exists, is_file = target.exists(), target.is_file()
    except OSError as exc:  # a name too long for the file system …
        raise Refused(f"'{ref[:200]}' cannot be read: {exc.strerror or exc}") from None
    if not exists:
        raise Refused(f"'{ref}' does not exist")
    if not is_file:
        raise Refused(f"'{ref}' is not a file")
    return target


def utf8_name(path: Path) -> bool:
    """Can the path be written as text? A name with a byte that is no UTF-8 (on Linux, any
    bytes make a name) comes from os.fsdecode with lone surrogates in it."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Unreadable(OSError):
    """An input file :func:`read_input` would not read; ``strerror`` says why, for the user.
    An OSError, so that every place that tells a user why a file could not be read tells this."""

    def __init__(self, reason: str, code: int = errno.EINVAL):
        super().__init__(code, reason)

    def __str__(self) -> str:
        return self.strerror or ""  # always the reason given: typeshed allows None


def read_input(path: Path, limit: int, follow: bool = True) -> bytes:
    """The bytes of one input file, checked on the descriptor they are read from: a regular
    file (never a FIFO, a device or a socket, which could block or never end) of at most
    ``limit`` bytes; Unreadable otherwise, before anything is read.

    The file is opened without blocking (a FIFO swapped in after a check cannot hang the
    build) and, with ``follow`` False (for a path resolved already), without following a link
    put in its place. At most ``limit`` + 1 bytes are read, whatever the size said.
    """
    try:
        before = os.stat(path)
    except RuntimeError:
        raise Unreadable("a link that leads nowhere (a loop of links)", errno.ELOOP) from None
    except OSError as exc:
        raise Unreadable(_reason(exc), exc.errno or errno.EIO) from None
    check_status(before, limit)  # a FIFO or a device is never even opened
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Unreadable(_reason(exc), exc.errno or errno.EIO) from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise Unreadable("changed while it was being read; try again", errno.EAGAIN)
        check_status(opened, limit)
        chunks, size = [], 0
        while size <= limit:
            try:
                chunk = os.read(fd, min(limit + 1 - size, 1024 * 1024))
            except BlockingIOError:  # a non-blocking descriptor of a file that is not regular after all
                raise Unreadable("not a regular file", errno.EAGAIN) from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:  # grew after the check
        raise Unreadable(f"larger than {_megabytes(limit)}", errno.EFBIG)
    return b"".join(chunks)


def check_status(status: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise Unreadable(f"not a regular file but {_kind(status.st_mode)}; not read")
    if status.st_size > limit:
        raise Unreadable(f"larger than {_megabytes(limit)}", errno.EFBIG)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "a special file"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a link that leads nowhere (a loop of links), or a link where none may be"
    return exc.strerror or str(exc)


def _megabytes(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


def decode_data_uri(ref: str) -> tuple[str, bytes]:
    """(media type, bytes) of a ``data:`` URI no larger than DATA_URI_LIMIT; or Refused."""
    match = _DATA.match(ref.strip())
    if not match:
        raise Refused("malformed data: URI")
    media_type = (match.group(1) or "text/plain").lower()
    payload = match.group(4)
    if len(payload) > DATA_URI_LIMIT * 4 // 3 + 4:
        raise Refused(f"data: URI larger than {DATA_URI_LIMIT // 1024} KB")
    try:
        data = base64.b64decode(payload, validate=False) if match.group(3) else unquote(payload).encode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise Refused(f"malformed data: URI ({exc})") from None
    if len(data) > DATA_URI_LIMIT:
        raise Refused(f"data: URI larger than {DATA_URI_LIMIT // 1024} KB")
    return media_type, data
