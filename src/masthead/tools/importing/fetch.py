"""The one place masthead reads from the network: ``masthead import``'s bounded HTTP fetcher.

Everything fetched goes through :meth:`Fetcher.get`, within the :class:`Limits` the command
states: http and https only (file:, ftp:, data: … are refused, at the start and at every
redirect), a timeout for the connection and for each read and a deadline for the whole file,
a size cap per file (checked against Content-Length first, then while reading) and one for
everything fetched in the run, a content type checked against what was asked for, and at most
``max_redirects`` redirects, each followed by hand so its target is checked like the first URL.
Each failure is a :class:`FetchError` whose message names the URL.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from masthead.diagnostics import MastheadError, one_line

MB = 1024 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "masthead-import (+https://masthead.invalid/import)"

# What each kind of file may be served as.
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
              "application/rdf+xml", "application/x-rss+xml")
IMAGE_TYPES = ("image/",)


@dataclass(frozen=True)
class Limits:
    """How far a run may reach; the defaults are the command's."""

    timeout: float = 20.0  # seconds, for the connection and for each read
    deadline: float = 120.0  # seconds for one whole file, however slowly it trickles in
    max_file: int = 20 * MB  # bytes, one file
    max_total: int = 200 * MB  # bytes, everything a run fetches
    max_redirects: int = 5


class FetchError(MastheadError):
    """A URL that could not be fetched within the limits; the message names it."""

    def __init__(self, url: str, message: str):
        self.url = url
        super().__init__(one_line(f"{url}: {message}"))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as responses, to be checked and followed by :meth:`Fetcher.get`."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _type_ok(content_type: str, accepted: Iterable[str]) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return any(media.startswith(a) if a.endswith("/") else media == a for a in accepted) \
        or (any(a.endswith("xml") for a in accepted) and media.endswith("+xml"))


class Fetcher:
    """Fetches files within ``limits``; counts what the run has fetched so far."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self.fetched = 0  # bytes, in all
        self.files = 0
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, url: str, accepted: Iterable[str], what: str = "file") -> tuple[bytes, str, str]:
        """The bytes at ``url``, the URL they came from after redirects, and their content type;
        ``accepted``: the media types allowed (a prefix when it ends in "/")."""
        accepted = tuple(accepted)
        limits = self.limits
        current = url.strip()
        for _hop in range(limits.max_redirects + 1):
            if not web_url(current):
                scheme = urlsplit(current).scheme or "no scheme"
                shown = current if current == url else f"redirected to {current}"
                raise FetchError(url, f"{shown}: only http and https are fetched ({scheme}: refused)")
            try:
                response = self._opener.open(urllib.request.Request(current, method="GET"), timeout=limits.timeout)
            except urllib.error.HTTPError as exc:
                if exc.code in REDIRECTS:
                    location = exc.headers.get("Location")
                    exc.close()
                    if not location:
                        raise FetchError(url, f"HTTP {exc.code} without a Location") from None
                    current = urljoin(current, location.strip())
                    continue
                exc.close()
                raise FetchError(url, f"HTTP {exc.code} {exc.reason}") from None
            except TimeoutError:
                raise FetchError(url, f"no answer within {limits.timeout:g} s (--timeout)") from None
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, TimeoutError):
                    raise FetchError(url, f"no answer within {limits.timeout:g} s (--timeout)") from None
                raise FetchError(url, f"cannot be reached ({reason})") from None
            with response:
                content_type = response.headers.get("Content-Type", "") or ""
                if not _type_ok(content_type, accepted):
                    raise FetchError(url, f"served as {content_type or 'no content type'}, not a {what} "
                                          f"({', '.join(a + '*' if a.endswith('/') else a for a in accepted)})")
                data = self._read(url, response)
            return data, current, content_type
        raise FetchError(url, f"more than {limits.max_redirects} redirects (--max-redirects)")

    def _read(self, url: str, response) -> bytes:
        limits = self.limits
        cap = min(limits.max_file, limits.max_total - self.fetched)
        why = (f"larger than {limits.max_file:,} bytes (--max-file-size)" if cap == limits.max_file
               else f"would take the run over {limits.max_total:,} bytes (--max-total-size)")
        length = response.headers.get("Content-Length")
        if length and length.strip().isdigit() and int(length) > cap:
            raise FetchError(url, why)
        chunks, size, start = [], 0, time.monotonic()
        try:
            while True:
                chunk = response.read1(64 * 1024)  # what one receive brings: a slow drip meets the deadline
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise FetchError(url, why)
                if time.monotonic() - start > limits.deadline:
                    raise FetchError(url, f"not all read within {limits.deadline:g} s")
                chunks.append(chunk)
        except TimeoutError:
            raise FetchError(url, f"stopped answering for {limits.timeout:g} s (--timeout)") from None
        except (http.client.HTTPException, OSError, ValueError) as exc:  # a connection reset, a truncated chunked body
            raise FetchError(url, f"broken off ({type(exc).__name__}: {exc})") from None
        self.fetched += size
        self.files += 1
        return b"".join(chunks)
