"""What the web edition has beyond the EPUB's documents, decided in the render stage.

The web edition (``--format html``) is not the EPUB shown in a browser: its pages are rendered
from the theme's ``web_*.xhtml.j2`` templates (a home page, one page per article) around the
same article part the EPUB shows, with the reader's controls and its one script,
``js/web.js``. This module holds what those templates are given that is not Jinja's to work out:

- :func:`notes_in_place`: an article's body with a pop-up beside each note reference (its
  note's text), which the script opens in place; the reference still links to the note in the
  list, which is what a browser without JavaScript follows.
- :func:`neighbours`: the previous and next article in reading order.
- :func:`translations`: the article in each edition of the issue, ``{lang, name, href}``
  each, that the article page's language switch lists (from RenderedIssue.languages).
- :func:`script`: the built-in theme's ``js/web.js``, a resource for the web edition alone.
  Only the built-in theme's: an issue's own ``templates/`` folder is untrusted input, and its
  pages get no script from it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from urllib.parse import unquote

from masthead.diagnostics import Position, Report
from masthead.model.documents import WEB, LanguageLink, Resource
from masthead.model.issue import Article
from masthead.render import theme as theme_module
from masthead.runtime import confine, urls

SCRIPT = "js/web.js"
XHTML = "{http://www.w3.org/1999/xhtml}"
POPOVER_PREFIX = "mh-pop-"  # the pop-ups' ids: apart from any id an article may hold (mh- is masthead's)
_NOTE_ROLES = ("doc-footnote", "doc-endnote", "doc-rearnote")


def script(report: Report) -> list[Resource]:
    """The web edition's script (from the built-in theme, whatever theme the issue uses)."""
    path = theme_module.builtin_root() / "default" / SCRIPT
    try:
        data = confine.read_input(path, confine.THEME_FILE_LIMIT)
    except OSError as exc:  # a broken installation, told as any unreadable theme file is
        report.error(Position(path, 1, 1), f"cannot read the web edition's script: {exc.strerror}")
        return []
    return [Resource(SCRIPT, "text/javascript", data, WEB)]


def neighbours(articles: Sequence[Article], article: Article) -> tuple[Article | None, Article | None]:
    """The articles before and after ``article`` in reading order (None at either end)."""
    index = next(i for i, a in enumerate(articles) if a.id == article.id)
    return (articles[index - 1] if index > 0 else None,
            articles[index + 1] if index + 1 < len(articles) else None)


def translations(links: Sequence[LanguageLink]) -> list[dict[str, object]]:
    """An article's language switch for its page (``_web.xhtml.j2``'s ``language_switch``):
    ``[{"lang": "ar", "name": "العربية", "href": "../issue.ar/x.xhtml", "dir": "rtl",
    "current": False}]``, one for each edition of the issue the article is in (translated
    editions: RenderedIssue.languages), its own marked current; empty, and no switch shown, for
    an article without translations."""
    from masthead.runtime import i18n

    return [{"lang": link.lang, "name": link.name, "href": link.href, "dir": i18n.direction_of(link.lang),
             "current": link.current} for link in links]


def notes_in_place(body: str, close_label: str, list_label: str) -> str:
    """``body`` (an article's clean XHTML) with, after it, a pop-up for each note reference
    whose note is in the article: ``<div popover id="mh-pop-<note id>">`` holding the note's
    text, a link to the note in the list and a close button. The reference keeps its link to
    the note (``href="#note-1"``), and gains ``data-note`` naming its pop-up, which web.js
    opens on a click. A body without note references comes back as it was."""
    from lxml import etree

    from masthead.runtime import safexml

    if "noteref" not in body:
        return body
    wrapper = safexml.parse_fragment(body)
    notes = {e.get("id"): e for e in wrapper.iter(etree.Element)
             if e.get("id") and (set((e.get("role") or "").split()) & set(_NOTE_ROLES)
                                 or "footnote" in (e.get("class") or "").split())}
    made: dict[str, etree._Element] = {}
    for ref in wrapper.iter(XHTML + "a"):
        roles = (ref.get("role") or "").split() + (ref.get("class") or "").split()
        # the note's id, as the fragment names it percent-encoded where a URL must ("#n%25" for id="n%")
        target = unquote((ref.get("href") or "")[1:]) if (ref.get("href") or "").startswith("#") else ""
        if ("doc-noteref" not in roles and "noteref" not in roles) or target not in notes:
            continue
        ref.set("data-note", POPOVER_PREFIX + target)
        if target not in made:
            made[target] = _popover(notes[target], target, close_label, list_label)
    if not made:
        return body
    holder = etree.SubElement(wrapper, XHTML + "div", {"class": "note-popovers"})
    holder.extend(made.values())
    return safexml.serialize_fragment(wrapper)


def _popover(note, target: str, close_label: str, list_label: str):
    from lxml import etree

    pop = etree.Element(XHTML + "div", {"id": POPOVER_PREFIX + target, "class": "note-popover", "popover": "auto"})
    body = etree.SubElement(pop, XHTML + "div", {"class": "note-popover-text"})
    for child in note:
        kept = copy.deepcopy(child)
        for element in list(kept.iter(etree.Element)):
            element.attrib.pop("id", None)
        # the number linking back to the reference: the pop-up is beside it already
        first = kept[0] if len(kept) and kept[0].tag == XHTML + "a" else None
        if first is not None and (first.get("href") or "").startswith("#") and not (kept.text or "").strip():
            kept.text = (first.tail or "").lstrip()
            kept.remove(first)
        body.append(kept)
    foot = etree.SubElement(pop, XHTML + "p", {"class": "note-popover-foot"})
    link = etree.SubElement(foot, XHTML + "a", {"href": f"#{urls.fragment(target)}"})
    link.text = list_label
    link.tail = " "
    close = etree.SubElement(foot, XHTML + "button", {"type": "button", "popovertarget": POPOVER_PREFIX + target,
                                                      "popovertargetaction": "hide"})
    close.text = close_label
    return pop
