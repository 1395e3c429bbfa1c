"""RenderedIssue → PDF through WeasyPrint, confined to the rendered resources.

WeasyPrint's default fetcher reads any file and any URL (see ../shared/notes/libraries.md).
Ours answers only for the resources the render stage produced, by name, and refuses every
other URL, so an article cannot make the PDF read a local file, reach the network or embed
an attachment. The document carries its dates and identifier, so rebuilds are identical.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import unquote, urlsplit

from masthead.rendered import RenderedIssue

BASE_URL = "https://masthead.invalid/"  # .invalid can never resolve (RFC 2606)


def export(issue: RenderedIssue, warn=lambda message: None) -> bytes:
    """The PDF's bytes; ``warn(message)`` hears of every refused resource and layout problem."""
    import weasyprint  # imported here: ~0.4 s, paid only when a PDF is asked for
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    resources = {r.name: r for r in issue.resources_for("pdf")}

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            name = unquote(parts.path.lstrip("/")) if url.startswith(BASE_URL) else None
            if name in resources:
                resource = resources[name]
                return URLFetcherResponse(url, body=resource.data, headers={"Content-Type": resource.media_type})
            warn(f"refused to load '{url[:80]}': only the issue's own files are read")
            raise ValueError(f"refused: {url}")

    (document,) = issue.documents_of("print")
    handler = _Collect(warn)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        html = weasyprint.HTML(string=document.content.decode("utf-8"), base_url=BASE_URL,
                               url_fetcher=ConfinedFetcher(allowed_protocols=("https",), allow_redirects=False))
        return html.write_pdf(
            pdf_identifier=hashlib.md5(issue.meta.identifier.encode()).hexdigest().encode(),
            pdf_variant=issue.pdf.variant,
            pdf_tags=True,  # tagged: structure and language for assistive technology
            custom_metadata=True,
        )
    finally:
        logger.removeHandler(handler)


class _Collect(logging.Handler):
    """WeasyPrint logs what it skips (an unknown CSS property, a failed image): keep it."""

    def __init__(self, warn):
        super().__init__(logging.WARNING)
        self.warn = warn

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith("Failed to load") or "refused" not in message:
            self.warn(f"PDF: {message}")
