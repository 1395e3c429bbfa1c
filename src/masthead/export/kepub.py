"""RenderedIssue → KEPUB (Kobo's EPUB flavour): not written yet."""

from __future__ import annotations

from masthead.rendered import RenderedIssue


def export(issue: RenderedIssue) -> bytes:
    raise NotImplementedError("kepub export is being written")
