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
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

DATA_URI_LIMIT = 2 * 1024 * 1024  # bytes after decoding
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


def resolve(root: Path, base_dir: Path, ref: str, url: bool = True) -> Path:
    """The file that ``ref`` (relative to ``base_dir``) names, inside ``root``; or Refused.
    ``url``: ``ref`` is a URL (an article's link or image: ``%41`` is ``A``, ``#`` starts a
    fragment); otherwise a file path as written (the manifest's, a front matter's)."""
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
        if not target.is_relative_to(root):
            raise Refused(f"'{ref}' resolves outside the issue folder")
        if not target.exists():
            raise Refused(f"'{ref}' does not exist")
        if not target.is_file():
            raise Refused(f"'{ref}' is not a file")
    except OSError as exc:  # a name too long for the file system, a loop of links …
        raise Refused(f"'{ref[:200]}' cannot be read: {exc.strerror or exc}") from None
    return target


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
