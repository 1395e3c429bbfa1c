"""The catalogue's files, from the publication and its issues' listings: records in, bytes out.

:func:`catalogue_files` returns every file by its path in the catalogue's root (the folder
that holds each issue's ``<slug>/`` folder of outputs):

    index.html, archive.css        the archive: covers newest first by year (Jinja, sandboxed)
    <slug>/issue.html              an issue's page: its cover, its files, its articles
    <slug>/thumbnail.jpg           the cover, small (when the listing carries one)
    <web folder>/manifest.json     a Readium Web Publication manifest beside each web edition
    opds/index.xml                 OPDS 1.2: the root, a navigation feed
    opds/latest.xml, opds/YYYY.xml OPDS 1.2 acquisition feeds: the newest issues, each year's
    opds/index.json, latest.json,  the same in OPDS 2.0
      YYYY.json
    feed.atom                      an Atom feed of the newest issues, for feed readers

Every link is relative, so the catalogue works from files and from any address it is served
at; ``Publication.site_url``, when given, makes the feeds' ids and self links absolute.
The same publication and listings give the same bytes, whatever order the listings come in.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import posixpath
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urljoin

from masthead.catalogue.records import IMAGE_TYPES, MEDIA_TYPES, IssueListing, Publication

LATEST = 12  # issues in the "latest" feeds and the Atom feed
OPDS_NAV = "application/atom+xml;profile=opds-catalog;kind=navigation"
OPDS_ACQ = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPDS2 = "application/opds+json"
WEBPUB = "application/webpub+json"
ACQUISITION = "http://opds-spec.org/acquisition"
IMAGE, THUMBNAIL = "http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"
DOWNLOADS = ("epub", "kepub", "pdf", "azw3")  # what the feeds offer to download, in this order
LABELS = {"epub": "EPUB", "kepub": "Kobo (KEPUB)", "pdf": "PDF", "azw3": "Kindle (AZW3)"}
ISSUE_TYPE = "http://schema.org/PublicationIssue"
ATOM, DC, OPDS_NS = "http://www.w3.org/2005/Atom", "http://purl.org/dc/terms/", "http://opds-spec.org/2010/catalog"
CALIBRE = "http://calibre.kovidgoyal.net/2009/metadata"  # calibre:series, calibre:series_index (as in calibre's OPF)
STYLESHEET = "archive.css"


def catalogue_files(publication: Publication, listings: Sequence[IssueListing]) -> dict[str, bytes]:
    """Every file of the catalogue (see the module's text), by its path; sorted by path."""
    issues = newest_first(listings)
    slugs = [i.slug for i in issues]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"two listings have the same slug: {sorted(s for s in set(slugs) if slugs.count(s) > 1)}")
    files: dict[str, bytes] = {}
    files.update(_site(publication, issues))
    for issue in issues:
        if issue.thumbnail and issue.thumbnail_data:
            files[issue.thumbnail] = issue.thumbnail_data
        if issue.web:
            files[manifest_path(issue)] = _json(web_manifest(publication, issue))
    files.update(_opds1(publication, issues))
    files.update(_opds2(publication, issues))
    files["feed.atom"] = _atom(publication, issues)
    return dict(sorted(files.items()))


def newest_first(listings: Sequence[IssueListing]) -> list[IssueListing]:
    """The issues by date, newest first; on one date, by number, then by slug (a stable order)."""
    return sorted(listings, key=lambda i: (i.date, -1 if i.number is None else i.number, i.slug), reverse=True)


def manifest_path(issue: IssueListing) -> str:
    """The Readium manifest of an issue's web edition: ``manifest.json`` beside its home page."""
    assert issue.web is not None
    return posixpath.join(posixpath.dirname(issue.web), "manifest.json")


def issue_page(issue: IssueListing) -> str:
    return f"{issue.slug}/issue.html"


def relative(target: str, document: str) -> str:
    """``target`` (a path in the catalogue) as a link from ``document`` (another), percent-encoded
    (a folder named "No. 4 #2" or in Arabic is linked as a URL must be)."""
    return url(posixpath.relpath(target, posixpath.dirname(document) or "."))


def url(path: str) -> str:
    return quote(path, safe="/")


def _by_year(issues: Sequence[IssueListing]) -> list[tuple[int, list[IssueListing]]]:
    return [(year, list(group)) for year, group in itertools.groupby(issues, key=lambda i: i.date.year)]


def _downloads(issue: IssueListing) -> list[tuple[str, str]]:
    """(format, path) of the files a reader downloads, in :data:`DOWNLOADS`' order."""
    return [(name, path) for name in DOWNLOADS if (path := issue.file(name))]


def _image_type(path: str) -> str:
    return IMAGE_TYPES.get(posixpath.splitext(path)[1].lower(), "image/jpeg")


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _updated(issues: Sequence[IssueListing]) -> dt.datetime:
    return max((i.modified for i in issues), default=dt.datetime(1970, 1, 1))


def _uri(value: str) -> bool:
    """An absolute URI (``urn:uuid:…``, ``https://…``): what an Atom id and a Readium identifier must be."""
    scheme, colon, rest = value.partition(":")
    return bool(colon and rest and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)
                and not any(c.isspace() for c in value))


def _id(publication: Publication, path: str) -> str:
    """A stable id for a document of the catalogue: its address, or a name-based UUID."""
    if publication.site_url:
        return urljoin(_base(publication), url(path))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'masthead-catalogue:{publication.name}|{path}')}"


def _issue_id(issue: IssueListing) -> str:
    return issue.identifier if _uri(issue.identifier) else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, issue.identifier)}"


def _base(publication: Publication) -> str:
    url = publication.site_url or ""
    return url if url.endswith("/") else url + "/"


def _self(publication: Publication, path: str) -> str:
    """A document's self link: absolute with a site URL, else its own name."""
    return urljoin(_base(publication), url(path)) if publication.site_url else url(posixpath.basename(path))


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------- the archive site

def _site(publication: Publication, issues: list[IssueListing]) -> dict[str, bytes]:
    """index.html, each issue's page and the stylesheet, rendered from the built-in theme's
    ``catalogue/`` templates in the project's sandbox (render/sandbox.py)."""
    from babel.dates import format_date

    from masthead.render import sandbox
    from masthead.render.theme import Theme, builtin_root
    from masthead.runtime import i18n

    folder = builtin_root() / "default"
    theme = Theme("default", (folder,))
    env = _environment(theme)
    helpers: dict[str, Callable[..., object]] = {
        "format_date": lambda d, lang: format_date(d, "long", locale=i18n.locale_of(lang)),
        "format_names": sandbox.isolated_names,  # joined with ", ", each in a <bdi>
    }
    plain_publication = _plain_publication(publication)

    def render(template: str, lang: str, **values: Any) -> bytes:
        """A page in ``lang``: its fixed words from the theme's catalogue for that language."""
        env.install_gettext_translations(sandbox.CheckedTranslations(i18n.translations(lang, theme.locale_dirs)), newstyle=True)
        loaded = env.get_template(f"catalogue/{template}")
        given = {k: sandbox.plain(v) for k, v in {"publication": plain_publication, "lang": lang,
                                                  "dir": i18n.direction_of(lang), **values}.items()}
        return sandbox.render(env, loaded, helpers.values(), {**given, **helpers}).encode("utf-8")

    files = {"index.html": render("index.html.j2", publication.language, stylesheet=STYLESHEET, feed="feed.atom",
                                  opds="opds/index.xml",
                                  years=[{"year": y, "issues": [_card(i, "index.html") for i in group]}
                                         for y, group in _by_year(issues)])}
    for issue in issues:  # the issue's page speaks its language
        page = issue_page(issue)
        files[page] = render("issue.html.j2", issue.language, stylesheet=relative(STYLESHEET, page),
                             home=relative("index.html", page), issue=_card(issue, page), sections=_sections(issue, page))
    files[STYLESHEET] = (folder / "catalogue" / STYLESHEET).read_bytes()
    return files


def _environment(theme: Any) -> Any:
    import jinja2

    from masthead.render import sandbox

    env = sandbox.Sandbox(loader=theme.loader(), autoescape=True, undefined=jinja2.StrictUndefined,
                          extensions=["jinja2.ext.i18n"], keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    return env


def _plain_publication(publication: Publication) -> dict[str, Any]:
    return {"name": publication.name, "language": publication.language, "issn": publication.issn,
            "publisher": publication.publisher, "rights": publication.rights, "description": publication.description}


def _card(issue: IssueListing, page: str) -> dict[str, Any]:
    """What a page shows of an issue, with its links relative to ``page``."""
    from masthead.runtime import i18n

    link = lambda path: relative(path, page) if path else None  # noqa: E731 - a one-line helper
    cover = issue.thumbnail if issue.thumbnail and issue.thumbnail_data else issue.cover
    return {
        "slug": issue.slug, "title": issue.title, "publication": issue.publication, "number": issue.number,
        "volume": issue.volume, "date": issue.date, "iso_date": issue.date.isoformat(), "lang": issue.language,
        "dir": issue.direction or i18n.direction_of(issue.language), "description": issue.description,
        "cover_lines": issue.cover_lines, "page": link(issue_page(issue)), "web": link(issue.web),
        "cover": link(issue.cover), "thumb": link(cover), "thumb_size": issue.thumbnail_size or issue.cover_size,
        "cover_size": issue.cover_size, "publisher": issue.publisher, "rights": issue.rights,
        "downloads": [{"name": name, "label": LABELS[name], "href": link(path)} for name, path in _downloads(issue)],
        "articles": len(issue.articles),
    }


def _sections(issue: IssueListing, page: str) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for title, group in itertools.groupby(issue.articles, key=lambda a: a.section):
        sections.append({"title": title, "articles": [
            {"title": a.title, "standfirst": a.standfirst, "authors": a.authors, "minutes": a.minutes,
             "lang": a.language, "dir": a.direction, "kicker": a.kicker,
             "href": relative(a.href, page) if a.href else None}
            for a in group]})
    return sections


# ---------------------------------------------------------------------------- OPDS 1.2 (Atom)

def _opds1(publication: Publication, issues: list[IssueListing]) -> dict[str, bytes]:
    listed = [i for i in issues if _downloads(i)]
    years = _by_year(listed)
    feeds = {"opds/latest.xml": (_latest_title(publication), listed[:LATEST])}
    feeds.update({f"opds/{year}.xml": (str(year), group) for year, group in years})
    root = _feed(publication, "opds/index.xml", publication.name, OPDS_NAV, listed)
    if publication.description:
        _sub(root, "subtitle", publication.description)
    for path, (title, group) in feeds.items():
        entry = _sub(root, "entry")
        _sub(entry, "title", title)
        _sub(entry, "id", _id(publication, path))
        _sub(entry, "updated", _stamp(_updated(group)))
        rel = "http://opds-spec.org/sort/new" if path == "opds/latest.xml" else "subsection"
        _sub(entry, "link", rel=rel, href=relative(path, "opds/index.xml"), type=OPDS_ACQ)
        _sub(entry, "content", _count_text(group), type="text")
    files = {"opds/index.xml": _xml(root)}
    for path, (title, group) in feeds.items():
        feed = _feed(publication, path, f"{publication.name}: {title}", OPDS_ACQ, group)
        _sub(feed, "link", rel="up", href=relative("opds/index.xml", path), type=OPDS_NAV)
        for issue in group:
            _opds1_entry(feed, issue, path)
        files[path] = _xml(feed)
    return files


def _latest_title(publication: Publication) -> str:
    return "Latest issues"


def _count_text(group: Sequence[IssueListing]) -> str:
    return f"{len(group)} issue{'' if len(group) == 1 else 's'}"


def _feed(publication: Publication, path: str, title: str, kind: str, issues: Sequence[IssueListing]) -> Any:
    from lxml import etree

    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "dc": DC, "opds": OPDS_NS, "calibre": CALIBRE})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", publication.language)
    _sub(root, "id", _id(publication, path))
    _sub(root, "title", title)
    _sub(root, "updated", _stamp(_updated(issues)))
    author = _sub(root, "author")
    _sub(author, "name", publication.publisher or publication.name)
    if publication.site_url:
        _sub(author, "uri", publication.site_url)
    _sub(root, "link", rel="self", href=_self(publication, path), type=kind)
    _sub(root, "link", rel="start", href=relative("opds/index.xml", path), type=OPDS_NAV)
    _sub(root, "link", rel="alternate", href=relative("index.html", path), type="text/html")
    _sub(root, "link", rel="alternate", href=relative(path.removesuffix(".xml") + ".json", path), type=OPDS2)
    return root


def _opds1_entry(feed: Any, issue: IssueListing, path: str) -> None:
    entry = _sub(feed, "entry")
    if issue.language != feed.get("{http://www.w3.org/XML/1998/namespace}lang"):
        entry.set("{http://www.w3.org/XML/1998/namespace}lang", issue.language)
    _sub(entry, "title", issue.title)
    _sub(entry, "id", _issue_id(issue))
    _sub(entry, "updated", _stamp(issue.modified))
    author = _sub(entry, "author")
    _sub(author, "name", issue.publication)
    for name in _authors(issue):
        contributor = _sub(entry, "contributor")
        _sub(contributor, "name", name)
    if issue.rights:
        _sub(entry, "rights", issue.rights)
    _sub(entry, f"{{{DC}}}identifier", issue.identifier)
    if issue.issn:
        _sub(entry, f"{{{DC}}}identifier", f"urn:issn:{issue.issn}")
    if issue.publisher:
        _sub(entry, f"{{{DC}}}publisher", issue.publisher)
    _sub(entry, f"{{{DC}}}language", issue.language)
    _sub(entry, f"{{{DC}}}issued", issue.date.isoformat())
    _sub(entry, f"{{{CALIBRE}}}series", issue.series)
    if issue.series_index is not None:
        _sub(entry, f"{{{CALIBRE}}}series_index", str(issue.series_index))
    for subject in issue.subjects:
        _sub(entry, "category", term=subject, label=subject)
    summary = issue.summary or " · ".join(issue.cover_lines)
    if summary:
        _sub(entry, "summary", summary, type="text")
    _sub(entry, "content", _contents_text(issue), type="text")
    for rel, image in ((IMAGE, issue.cover), (THUMBNAIL, _thumbnail(issue))):
        if image:
            _sub(entry, "link", rel=rel, href=relative(image, path), type=_image_type(image))
    for name, file in _downloads(issue):
        _sub(entry, "link", rel=ACQUISITION, href=relative(file, path), type=MEDIA_TYPES[name], title=LABELS[name])
    if issue.web:
        _sub(entry, "link", rel="alternate", href=relative(issue.web, path), type="text/html", title="Read online")


def _thumbnail(issue: IssueListing) -> str | None:
    return issue.thumbnail if issue.thumbnail and issue.thumbnail_data else issue.cover


def _authors(issue: IssueListing) -> list[str]:
    names: list[str] = []
    for article in issue.articles:
        names += [n for n in article.authors if n not in names]
    return names


def _contents_text(issue: IssueListing) -> str:
    number = f"No. {issue.number}, " if issue.number is not None else ""
    lines = [f"{issue.publication}, {number}{issue.date.isoformat()}."]
    if issue.cover_lines:
        lines.append(" · ".join(issue.cover_lines))
    lines += [f"{a.title}" + (f" ({', '.join(a.authors)})" if a.authors else "") for a in issue.articles]
    return "\n".join(lines)


def _sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    from lxml import etree

    qualified = tag if tag.startswith("{") else f"{{{ATOM}}}{tag}"
    element = etree.SubElement(parent, qualified, {k: v for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _xml(root: Any) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---------------------------------------------------------------------------- OPDS 2.0 (JSON)

def _opds2(publication: Publication, issues: list[IssueListing]) -> dict[str, bytes]:
    listed = [i for i in issues if _downloads(i)]
    feeds = {"opds/latest.json": (_latest_title(publication), listed[:LATEST])}
    feeds.update({f"opds/{year}.json": (str(year), group) for year, group in _by_year(listed)})
    navigation = [{"href": relative(path, "opds/index.json"), "title": title, "type": OPDS2,
                   "rel": "http://opds-spec.org/sort/new" if path == "opds/latest.json" else "subsection",
                   "properties": {"numberOfItems": len(group)}}
                  for path, (title, group) in feeds.items()]
    index: dict[str, Any] = {
        "metadata": {"title": publication.name, **({"description": publication.description} if publication.description else {}),
                     "modified": _stamp(_updated(listed))},
        "links": _feed_links(publication, "opds/index.json"),
        "navigation": navigation,
    }
    files = {"opds/index.json": _json(index)}
    for path, (title, group) in feeds.items():
        feed: dict[str, Any] = {
            "metadata": {"title": f"{publication.name}: {title}", "modified": _stamp(_updated(group)),
                         "numberOfItems": len(group)},
            "links": [*_feed_links(publication, path),
                      {"rel": "up", "href": relative("opds/index.json", path), "type": OPDS2}],
        }
        if group:
            feed["publications"] = [_opds2_publication(publication, issue, path) for issue in group]
        else:  # an empty feed still needs a collection: the archive page
            feed["navigation"] = [{"href": relative("index.html", path), "title": publication.name, "type": "text/html"}]
        files[path] = _json(feed)
    return files


def _feed_links(publication: Publication, path: str) -> list[dict[str, Any]]:
    return [
        {"rel": "self", "href": _self(publication, path), "type": OPDS2},
        {"rel": "start", "href": relative("opds/index.json", path), "type": OPDS2},
        {"rel": "alternate", "href": relative(path.removesuffix(".json") + ".xml", path), "type": OPDS_NAV
         if path == "opds/index.json" else OPDS_ACQ},
        {"rel": "alternate", "href": relative("index.html", path), "type": "text/html"},
    ]


def _metadata(issue: IssueListing, *, articles: Callable[[Any], str | None] | None = None) -> dict[str, Any]:
    """Readium metadata of an issue (for OPDS 2.0 and the web edition's manifest): schema.org's
    PublicationIssue, in its periodical (Readium's ``belongsTo.periodical``) and series, with
    its articles (``contains.article``) when ``articles`` gives each one's link."""
    meta: dict[str, Any] = {"@type": ISSUE_TYPE, "title": issue.title}
    if _uri(issue.identifier):
        meta["identifier"] = issue.identifier
    meta["language"] = issue.language
    meta["published"] = issue.date.isoformat()
    meta["modified"] = _stamp(issue.modified)
    authors = _authors(issue)
    if authors:
        meta["author"] = authors
    if issue.editors:
        meta["editor"] = list(issue.editors)
    if issue.publisher:
        meta["publisher"] = issue.publisher
    if issue.description:
        meta["description"] = issue.description
    if issue.subjects:
        meta["subject"] = list(issue.subjects)
    if issue.direction == "rtl":
        meta["readingProgression"] = "rtl"
    periodical: dict[str, Any] = {"name": issue.publication}
    if issue.issn:
        periodical["identifier"] = f"urn:issn:{issue.issn}"
    series: dict[str, Any] = {"name": issue.series}
    if issue.series_index is not None:
        periodical["position"] = series["position"] = issue.series_index
    if issue.volume is not None:
        periodical["volume"] = issue.volume
    meta["belongsTo"] = {"periodical": periodical, "series": series}
    if articles is not None and issue.articles:
        listed = []
        for position, article in enumerate(issue.articles, 1):
            item: dict[str, Any] = {"name": article.title, "position": position}
            if article.authors:
                item["author"] = list(article.authors)
            if article.standfirst:
                item["description"] = article.standfirst
            href = articles(article)
            if href:
                item["links"] = [{"href": href, "type": "text/html"}]
            listed.append(item)
        meta["contains"] = {"article": listed}
    return meta


def _opds2_publication(publication: Publication, issue: IssueListing, path: str) -> dict[str, Any]:
    links: list[dict[str, Any]] = [
        {"rel": ACQUISITION, "href": relative(file, path), "type": MEDIA_TYPES[name], "title": LABELS[name]}
        for name, file in _downloads(issue)]
    if issue.web:
        links.append({"rel": "alternate", "href": relative(issue.web, path), "type": "text/html"})
        links.append({"rel": "http://opds-spec.org/acquisition/open-access", "href": relative(manifest_path(issue), path),
                      "type": WEBPUB, "title": "Read online"})
    links.append({"rel": "related", "href": relative(issue_page(issue), path), "type": "text/html"})
    result: dict[str, Any] = {"metadata": _metadata(issue), "links": links}
    images = []
    if issue.cover:
        images.append({"href": relative(issue.cover, path), "type": _image_type(issue.cover), **_size(issue.cover_size)})
    if issue.thumbnail and issue.thumbnail_data:
        images.append({"href": relative(issue.thumbnail, path), "type": "image/jpeg", **_size(issue.thumbnail_size)})
    if images:
        result["images"] = images
    return result


def _size(size: tuple[int, int] | None) -> dict[str, int]:
    return {"width": size[0], "height": size[1]} if size else {}


# ---------------------------------------------------------------------------- the web edition's manifest

def web_manifest(publication: Publication, issue: IssueListing) -> dict[str, Any]:
    """A Readium Web Publication manifest of the issue's web edition (written beside its
    home page): the article pages in reading order, the contents page and the cover as
    resources, the sections as its table of contents, the downloads as alternates."""
    path = manifest_path(issue)
    assert issue.web is not None

    def href(target: str) -> str:
        return relative(target, path)

    reading = [{"href": href(a.href), "type": "text/html", "title": a.title, **({"language": a.language}
                if a.language != issue.language else {})} for a in issue.articles if a.href]
    resources: list[dict[str, Any]] = [{"rel": "contents", "href": href(issue.web), "type": "text/html"}]
    if issue.cover:
        resources.append({"rel": "cover", "href": href(issue.cover), "type": _image_type(issue.cover), **_size(issue.cover_size)})
    toc: list[dict[str, Any]] = []
    for title, group in itertools.groupby([a for a in issue.articles if a.href], key=lambda a: a.section):
        children = [{"href": href(a.href), "title": a.title} for a in group if a.href]
        if title:
            toc.append({"href": children[0]["href"], "title": title, "children": children})
        else:
            toc += children
    links: list[dict[str, Any]] = [{"rel": "self", "href": _self(publication, path), "type": WEBPUB}]
    links += [{"rel": "alternate", "href": href(file), "type": MEDIA_TYPES[name]} for name, file in _downloads(issue)]
    manifest: dict[str, Any] = {
        "@context": "https://readium.org/webpub-manifest/context.jsonld",
        "metadata": _metadata(issue, articles=lambda a: href(a.href) if a.href else None),
        "links": links,
        "readingOrder": reading or [{"href": href(issue.web), "type": "text/html", "title": issue.title}],
        "resources": resources,
    }
    if toc:
        manifest["toc"] = toc
    return manifest


# ---------------------------------------------------------------------------- Atom, for feed readers

def _atom(publication: Publication, issues: list[IssueListing]) -> bytes:
    """The newest :data:`LATEST` issues: each links to its web edition (or its page), with its
    EPUB and PDF as enclosures and its contents as the entry's HTML."""
    from lxml import etree
    from markupsafe import escape

    newest = issues[:LATEST]
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", publication.language)
    if publication.site_url:
        root.set("{http://www.w3.org/XML/1998/namespace}base", _base(publication))
    _sub(root, "id", _id(publication, "feed.atom"))
    _sub(root, "title", publication.name)
    if publication.description:
        _sub(root, "subtitle", publication.description)
    _sub(root, "updated", _stamp(_updated(newest)))
    author = _sub(root, "author")
    _sub(author, "name", publication.publisher or publication.name)
    _sub(root, "link", rel="self", href=_self(publication, "feed.atom"), type="application/atom+xml")
    _sub(root, "link", rel="alternate", href="index.html", type="text/html")
    if publication.rights:
        _sub(root, "rights", publication.rights)
    for issue in newest:
        entry = _sub(root, "entry")
        if issue.language != publication.language:
            entry.set("{http://www.w3.org/XML/1998/namespace}lang", issue.language)
        _sub(entry, "id", _issue_id(issue))
        _sub(entry, "title", issue.title)
        _sub(entry, "published", _stamp(dt.datetime.combine(issue.date, dt.time())))
        _sub(entry, "updated", _stamp(issue.modified))
        for name in _authors(issue):
            entry_author = _sub(entry, "author")
            _sub(entry_author, "name", name)
        if not _authors(issue):
            entry_author = _sub(entry, "author")
            _sub(entry_author, "name", issue.publication)
        _sub(entry, "link", rel="alternate", href=url(issue.web or issue_page(issue)), type="text/html")
        for name, file in _downloads(issue):
            _sub(entry, "link", rel="enclosure", href=url(file), type=MEDIA_TYPES[name], title=LABELS[name])
        if issue.summary:
            _sub(entry, "summary", issue.summary, type="text")
        parts = []
        image = _thumbnail(issue)
        if image:
            parts.append(f'<p><img src="{escape(url(image))}" alt=""/></p>')
        if issue.cover_lines:
            parts.append("<p>" + " · ".join(str(escape(line)) for line in issue.cover_lines) + "</p>")
        parts.append("<ul>" + "".join(
            "<li>" + (f'<a href="{escape(url(a.href))}">{escape(a.title)}</a>' if a.href else str(escape(a.title)))
            + (f" ({escape(', '.join(a.authors))})" if a.authors else "") + "</li>" for a in issue.articles) + "</ul>")
        _sub(entry, "content", "".join(parts), type="html")
    return _xml(root)
