"""Links out of the issue: which URLs a reader may follow (masthead never fetches them).

A leaf: the sanitizer keeps a link only when :func:`safe_external_url` says so, and the manifest
checks a URL it is given (an issue's ``url:``) the same way.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit


def safe_external_url(url: str) -> bool:
    """Links readers may follow out of the issue (never fetched by masthead): http(s), mailto
    and tel, well formed (a reading system, and EPUBCheck, refuse ``https://x/%zz``)."""
    return external_scheme(url) and url_problem(url) is None


def external_scheme(url: str) -> bool:
    return bool(re.match(r"^(https?:|mailto:|tel:)", url.strip(), re.I))


# What a URL may hold: RFC 3986's characters, and any non-ASCII one but spaces (an IRI's).
_URL_TEXT = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2}|[^\x00-\x7f\s\u0085\u00a0])*")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


def url_problem(url: str) -> str | None:
    """Why ``url`` (an absolute http(s), mailto or tel URL) is not well formed, or None."""
    url = url.strip()
    if not _URL_TEXT.fullmatch(url):
        return "it holds a space, a bad %-escape or a character a URL cannot carry"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number raises
        host = parts.hostname
    except ValueError:
        return "its host or port cannot be read"
    if parts.scheme.lower() in ("mailto", "tel"):
        return None if parts.path else f"it names no {'address' if parts.scheme.lower() == 'mailto' else 'number'}"
    if not host:
        return "it names no host"
    if port is not None and not 0 < port < 65536:
        return "its port is out of range"
    if parts.netloc.rpartition("@")[2].startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "its [IPv6 address] is not one"
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return "its host is not a domain name"
    if not all(_HOST_LABEL.fullmatch(label) for label in ascii_host.removesuffix(".").split(".")):
        return "its host is not a domain name"
    return None


# What a URL's fragment cannot hold as it is (the WHATWG URL standard's URL code points: not
# "%", "#", "[", "\", a space, a quote …), percent-encoded; letters beyond ASCII stay as they are.
# Beyond ASCII, what URL parsers (EPUBCheck's) refuse as is is encoded too: C1 controls,
# noncharacters, the replacement character, lone surrogates.
_NOT_IN_FRAGMENT = re.compile('[\\x00-\\x20"#%<>\\[\\\\\\]^`{|}\\x7f-\\x9f\\ufdd0-\\ufdef\\ufffd-\\uffff\\ud800-\\udfff]')


def fragment(id_: str) -> str:
    """An id as a link's fragment: the id itself but for what a URL must percent-encode, so
    ``#50%25`` names id="50%" (readers, browsers and WeasyPrint decode a fragment)."""
    return _NOT_IN_FRAGMENT.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "surrogatepass")), id_)
