"""RenderedIssue → a web edition: a folder of HTML5 pages with their stylesheets, fonts and images.

The pages are the web edition's own (``RenderedIssue.web``: a home page and an article page each,
with the reader's controls and ``js/web.js``; render/web.py), or, for a rendered issue made
without them, the EPUB's documents; either way serialized as HTML instead of XHTML: ``<!DOCTYPE html>``,
``<meta charset>`` and a viewport, no XML namespaces, no ``epub:type`` (``role`` says the same
to browsers), and links between documents renamed from ``x.xhtml`` to ``x.html`` (the contents
page becomes ``index.html``). Resources are the EPUB's, under the same names, so every relative
link keeps working; nothing points outside the folder.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from masthead.model.documents import PAGES, LanguageLink, RenderedIssue

XML = "{http://www.w3.org/XML/1998/namespace}"
XLINK = "{http://www.w3.org/1999/xlink}"
VIEWPORT = "width=device-width, initial-scale=1"


def page_name(document_name: str) -> str:
    """The web edition's name for an EPUB document: ``a.xhtml`` → ``a.html``, contents → index."""
    stem = document_name.removesuffix(".xhtml")
    return "index.html" if stem in ("contents", "nav") else f"{stem}.html"


WEB_CSS = "css/web.css"  # the theme's stylesheet for the web edition alone (a measure, centred)


def export(issue: RenderedIssue) -> dict[str, bytes]:
    """The files of the web edition, by their path inside the folder: the EPUB's resources, and
    the theme's web.css, linked from every page after the EPUB's stylesheets."""
    files: dict[str, bytes] = {}
    web = {r.name: r.data for r in issue.resources_for("web")}
    languages = dict(issue.languages)
    for doc in issue.web or issue.documents_of(*PAGES):
        # the web edition's own pages show the switch themselves (web_article.xhtml.j2)
        switch = (issue.languages_label, languages[doc.name]) if doc.name in languages and not issue.web else None
        files[page_name(doc.name)] = to_html(doc.content, doc.lang, doc.direction, WEB_CSS if WEB_CSS in web else None,
                                             switch)
    for resource in issue.resources_for("epub"):
        files.setdefault(resource.name, resource.data)
    for name, data in web.items():
        files.setdefault(name, data)
    return dict(sorted(files.items()))


def to_html(xhtml: bytes, lang: str = "", direction: str = "", stylesheet: str | None = None,
            switch: tuple[str, tuple[LanguageLink, ...]] | None = None) -> bytes:
    """One XHTML document as an HTML5 document (UTF-8); ``stylesheet`` linked last in its head;
    ``switch``, a language switch (its name, its links), first in its body."""
    from lxml import etree

    from masthead.runtime.safexml import parse

    root = parse(xhtml)
    for element in root.iter(etree.Element):
        element.tag = etree.QName(element).localname
        for name, value in list(element.attrib.items()):
            if not name.startswith("{"):
                continue
            del element.attrib[name]
            if name == XML + "lang" and "lang" not in element.attrib:
                element.set("lang", value)
            elif name == XLINK + "href" and "href" not in element.attrib:  # SVG 2 reads plain href
                element.set("href", value)
            # epub:type and any other namespaced attribute: not HTML, dropped
        for attribute in ("href", "src"):
            if element.get(attribute):
                element.set(attribute, _link(element.get(attribute)))
    etree.cleanup_namespaces(root)
    if lang and not root.get("lang"):
        root.set("lang", lang)
    if direction and not root.get("dir"):
        root.set("dir", direction)
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    for meta in head.findall("meta"):
        if meta.get("charset") or meta.get("name") == "viewport":
            head.remove(meta)
    head.insert(0, etree.Element("meta", name="viewport", content=VIEWPORT))
    head.insert(0, etree.Element("meta", charset="utf-8"))
    for link in head.findall("link"):
        link.attrib.pop("type", None)  # text/css is the default
    if stylesheet is not None and head.find(f"link[@href='{stylesheet}']") is None:
        head.append(etree.Element("link", rel="stylesheet", href=stylesheet))  # after the EPUB's: its rules win
    body_element = root.find("body")
    if switch is not None and body_element is not None:
        body_element.insert(0, language_switch(*switch))
    body = etree.tostring(root, method="html", encoding="unicode")
    return ("<!DOCTYPE html>\n" + body + "\n").encode("utf-8")


def _link(url: str) -> str:
    """``night-shift.xhtml#x`` → ``night-shift.html#x``; anything else as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": no page of the issue (articles' links were checked already)
        return url
    if parts.scheme or parts.netloc or not parts.path.endswith(".xhtml"):
        return url
    folder, _, name = parts.path.rpartition("/")
    renamed = (folder + "/" if folder else "") + page_name(name)
    return renamed + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def language_switch(label: str, links: tuple[LanguageLink, ...]):
    """The page's article in the other editions, as a list of links in a named ``<nav>``: each
    in its language (``lang``, ``hreflang``), the page's own marked ``aria-current``. (The web
    edition's own article pages show it from their template: this is for the EPUB's documents.)"""
    from lxml import etree

    from masthead.runtime import i18n

    nav = etree.Element("nav", {"class": "languages", "aria-label": label})
    items = etree.SubElement(nav, "ul")
    for link in links:
        a = etree.SubElement(etree.SubElement(items, "li"), "a", href=_link(link.href), lang=link.lang, hreflang=link.lang,
                             dir=i18n.direction_of(link.lang))
        if link.current:
            a.set("aria-current", "page")
        a.text = link.name
    return nav
