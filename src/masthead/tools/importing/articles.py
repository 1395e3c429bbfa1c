"""An imported entry as an article file: an XHTML document whose ``<title>`` and ``<meta>``
elements carry the headline, standfirst, byline, date and kicker (the HTML reader's fields),
and whose body is the entry's HTML after the articles' sanitiser, its images downloaded.

Images go through the fetcher (http(s) only, within its limits) and then through the build's
own Pillow checks and preparation (content/images.py: a decompression bomb, a truncated file,
a file that is no image are refused; camera metadata dropped); each is named after a hash of
its bytes, so importing again writes the same file. An image that fails is left out, with a
warning naming its URL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urljoin

from masthead.tools.importing.fetch import IMAGE_TYPES, Fetcher, FetchError, web_url
from masthead.tools.importing.sources import Entry

XHTML_NS = "http://www.w3.org/1999/xhtml"
IMAGE_BOX = 4096  # pixels: an imported picture larger than this is scaled down (the build scales again)


def _attr(value: str) -> str:
    from masthead.runtime.safexml import escape_text, xml_text

    return escape_text(xml_text(" ".join(value.split()))).replace('"', "&quot;")


class Images:
    """The images of a run: fetched once per URL, checked, named by content; ``files`` holds
    what is to be written (``images/NAME`` → bytes)."""

    def __init__(self, fetcher: Fetcher | None, warn: Callable[[str], None]):
        self.fetcher = fetcher
        self.warn = warn
        self.files: dict[str, bytes] = {}
        self._by_url: dict[str, str | None] = {}

    def get(self, url: str) -> str | None:
        """``images/NAME`` for the image at ``url``, or None (warned) when it cannot be had."""
        if url not in self._by_url:
            self._by_url[url] = self._fetch(url)
        return self._by_url[url]

    def _fetch(self, url: str) -> str | None:
        from masthead.content import images

        if self.fetcher is None:
            self.warn(f"{url}: image left out (--no-images)")
            return None
        if not web_url(url):
            hint = " (give the site's address with --site)" if "__GHOST_URL__" in url or "://" not in url else ""
            self.warn(f"{url}: image left out: only http and https images are fetched{hint}")
            return None
        try:
            data, _, _ = self.fetcher.get(url, IMAGE_TYPES, "image")
            prepared, info = images.prepare(data, IMAGE_BOX, IMAGE_BOX)
        except FetchError as exc:
            self.warn(f"{exc}; image left out")
            return None
        except images.ImageError as exc:
            self.warn(f"{url}: {exc}; image left out")
            return None
        name = f"images/{hashlib.sha256(prepared).hexdigest()[:16]}{info.extension}"
        self.files[name] = prepared
        return name


def article_bytes(entry: Entry, images: Images, warn: Callable[[str], None]) -> bytes:
    """The article file for ``entry`` (an XHTML document), its images added to ``images``."""
    from lxml import etree

    from masthead.content import sanitize
    from masthead.runtime import urls
    from masthead.runtime.safexml import serialize_fragment

    base = entry.base

    def rewrite(element: str, attribute: str, url: str) -> str | None:
        url = url.strip()
        if not url:
            return None
        if url.startswith("#"):
            return url
        absolute = urljoin(base, url) if base else url
        if element == "img":
            name = images.get(absolute)
            return f"../{name}" if name else None
        return absolute if urls.safe_external_url(absolute) else None

    html = entry.body
    if entry.image and entry.image not in html:  # the lead picture, unless the body shows it already
        alt = "" if entry.image_alt is None else f' alt="{_attr(entry.image_alt)}"'  # none: the build asks for one
        caption = f"<figcaption>{entry.image_caption}</figcaption>" if entry.image_caption.strip() else ""
        html = f'<figure><img src="{_attr(entry.image)}"{alt}/>{caption}</figure>\n{html}'
    dropped: list = []
    try:
        body = sanitize.clean(sanitize.fragment(html), rewrite, {}, set(), dropped)
    except sanitize.TooDeep:
        warn(f"{entry.key}: elements nested more than {sanitize.MAX_DEPTH} deep; the body is left empty")
        body = etree.Element(f"{{{XHTML_NS}}}div")
    for name in sorted({name for name, _ in dropped}):
        warn(f"{entry.key}: <{name}> left out (an e-book cannot show it safely)")
    for img in list(body.iter(f"{{{XHTML_NS}}}img")):
        if img.get("src") is None:  # its download failed (warned): the image goes, text after it stays
            parent = img.getparent()
            previous = img.getprevious()
            if img.tail:
                if previous is not None:
                    previous.tail = (previous.tail or "") + img.tail
                else:
                    parent.text = (parent.text or "") + img.tail
            parent.remove(img)
    head = [f"<title>{_attr(entry.title) or 'Untitled'}</title>"]
    fields = (("standfirst", entry.standfirst), ("byline", ", ".join(entry.byline)), ("date", entry.date or ""),
              ("kicker", entry.categories[0] if entry.categories else ""))
    head += [f'<meta name="{key}" content="{_attr(value)}"/>' for key, value in fields if value and value.strip()]
    text = serialize_fragment(body).strip()
    return ("<!DOCTYPE html>\n"
            f'<html xmlns="{XHTML_NS}" xmlns:epub="http://www.idpf.org/2007/ops">\n'
            "<head>\n<meta charset=\"utf-8\"/>\n" + "\n".join(head) + "\n</head>\n"
            f"<body>\n{text}\n</body>\n</html>\n").encode("utf-8")
