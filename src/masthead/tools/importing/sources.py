"""What ``masthead import`` reads: a feed, a Ghost export, a WordPress export, a folder of DOCX
files, each turned into a :class:`Source` of :class:`Entry` records (nothing written here).

Feeds are parsed by feedparser (RSS 0.9x/1.0/2.0, Atom), always from bytes already read (never
handed a URL or a path, which it would open itself); WordPress's WXR by the project's safe XML
parser (no entity, no DTD, no network); Ghost's export is JSON. Bodies stay HTML here: the
writer cleans them with the articles' sanitiser.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from masthead.diagnostics import MastheadError, Position, one_line
from masthead.runtime import confine


class SourceError(MastheadError):
    """A source that cannot be read; the message names it (and the line where there is one)."""


@dataclass
class Entry:
    """One article to be: its key (a GUID, an id) and its fields as the source gives them."""

    key: str
    title: str
    body: str  # HTML
    standfirst: str = ""  # text
    byline: list[str] = field(default_factory=list)
    date: str | None = None  # YYYY-MM-DD
    categories: list[str] = field(default_factory=list)  # the first is the kicker
    base: str | None = None  # the URL relative links and images are read against
    file: Path | None = None  # a DOCX file, copied as it is
    image: str | None = None  # the lead picture's URL (Ghost's feature image, a feed's media, WordPress's thumbnail)
    image_alt: str | None = None
    image_caption: str = ""  # HTML


@dataclass
class Source:
    kind: str
    name: str  # the feed's URL or the file's path, for messages
    publication: str = ""
    language: str = ""
    description: str = ""
    entries: list[Entry] = field(default_factory=list)


def html_text(html: str) -> str:
    """The text of an HTML fragment, its white space collapsed (a summary as a standfirst)."""
    from masthead.content.sanitize import fragment

    if not html or not html.strip():
        return ""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    try:
        return " ".join(fragment(html).text_content().split())
    except (ValueError, TypeError):
        return " ".join(re.sub(r"<[^>]*>", " ", html).split())


STANDFIRST_WORDS = 60


def standfirst_of(summary: str, body: str) -> str:
    """A feed's summary as a standfirst: none when it is the body's opening over again (the
    excerpt many blogs make of their first words), cut at a word near STANDFIRST_WORDS ("…")."""
    words = summary.split()
    opening = html_text(body[:4000].replace("<", " <")).split()
    if not words or [w.strip("….[]") for w in words[:12]] == [w.strip("….[]") for w in opening[:min(12, len(words))]]:
        return ""
    if len(words) > STANDFIRST_WORDS:
        return " ".join(words[:STANDFIRST_WORDS - 10]).rstrip(",;:") + " …"
    return summary


def _iso_date(value) -> str | None:
    """YYYY-MM-DD from a time.struct_time, a datetime, or a text starting with a date."""
    if value is None:
        return None
    if hasattr(value, "tm_year"):
        try:
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday).isoformat()
        except ValueError:
            return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", str(value))
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups())).isoformat()
    except ValueError:
        return None


def _web(url) -> str | None:
    """``url`` when it is an http(s) URL (a base for relative links), else None."""
    from masthead.tools.importing.fetch import web_url

    return url.strip() if isinstance(url, str) and web_url(url) else None


def _unique_key(key: str, seen: set[str]) -> str:
    base, n = key, 2
    while key in seen:
        key, n = f"{base}#{n}", n + 1
    seen.add(key)
    return key


# ----------------------------------------------------------------------------------------------
# Feeds


def read_feed(data: bytes, name: str, url: str | None, content_type: str = "") -> Source:
    """An RSS or Atom feed's entries. ``url``: where it was fetched from (relative links)."""
    import feedparser

    headers = {"content-type": content_type or "application/xml"}
    if url:
        headers["content-location"] = url
    try:
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except UnicodeError as exc:  # a character reference to a lone surrogate (&#xD800;) …
        raise SourceError(one_line(f"{name}: holds a character that is no text ({exc})")) from None
    feed = parsed.get("feed", {})
    if not parsed.get("version") and not parsed.get("entries"):
        problem = parsed.get("bozo_exception")
        where = f":{problem.getLineNumber()}" if hasattr(problem, "getLineNumber") else ""
        raise SourceError(one_line(f"{name}{where}: not an RSS or Atom feed ({problem or 'no feed element'})"))
    source = Source("feed", name, publication=" ".join(str(feed.get("title", "")).split()),
                    language=str(feed.get("language", "") or ""),
                    description=html_text(str(feed.get("subtitle", "") or "")))
    base = url or _web(feed.get("link"))
    seen: set[str] = set()
    for number, item in enumerate(parsed.get("entries", []), 1):
        content = item.get("content") or []
        html_parts = [c.get("value", "") for c in content if "html" in (c.get("type") or "html")]
        body = max(html_parts, key=len) if html_parts else ""
        summary = str(item.get("summary", "") or "")
        standfirst = html_text(summary)
        if not body.strip():
            body, standfirst = summary, ""  # the summary is the body: not twice
        standfirst = standfirst_of(standfirst, body)
        body = autop(body) if body.strip() and not _BLOCK.match(body) else body
        authors = [a.get("name", "") for a in item.get("authors", []) if a.get("name")]
        if not authors and item.get("author"):
            authors = [str(item["author"])]
        key = str(item.get("id") or item.get("link") or item.get("title") or f"entry-{number}")
        source.entries.append(Entry(
            key=_unique_key(key, seen),
            title=" ".join(str(item.get("title", "") or "").split()),
            body=body, standfirst=standfirst, byline=authors, image=_feed_image(item),
            date=_iso_date(item.get("published_parsed") or item.get("updated_parsed")),
            categories=[t.get("term", "").strip() for t in item.get("tags", []) if (t.get("term") or "").strip()],
            base=_web(item.get("link")) or base,
        ))
    return source


def _feed_image(item) -> str | None:
    """The entry's picture: Media RSS content of medium or type image, else an image enclosure."""
    for media in item.get("media_content", []) or []:
        if (media.get("medium") == "image" or str(media.get("type", "")).startswith("image/")) and media.get("url"):
            return str(media["url"])
    for link in item.get("links", []) or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/") and link.get("href"):
            return str(link["href"])
    return None


# ----------------------------------------------------------------------------------------------
# Ghost


def read_ghost(data: bytes, path: Path) -> Source:
    """A Ghost JSON export's published posts (db[0].data: posts, tags, posts_tags, users,
    posts_authors), in the export's order."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(one_line(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})")) from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{Position(path, exc.lineno, exc.colno)}: not JSON ({exc.msg})") from None
    except RecursionError:
        raise SourceError(one_line(f"{path}: nested too deep to be a Ghost export")) from None
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # a lone surrogate ("\udfff") is no text
    except UnicodeError as exc:
        raise SourceError(one_line(f"{path}: holds a character that is no text ({exc})")) from None
    try:
        db = document["db"][0] if "db" in document else document
        tables = db["data"]
        posts = tables["posts"]
        if not isinstance(posts, list):
            raise TypeError
    except (KeyError, IndexError, TypeError):
        raise SourceError(one_line(f"{path}: not a Ghost export (no db[0].data.posts)")) from None

    def rows(name: str) -> list[dict]:
        value = tables.get(name) or []
        return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []

    tags = {t.get("id"): str(t.get("name") or "") for t in rows("tags")}
    users = {u.get("id"): str(u.get("name") or "") for u in rows("users")}
    post_tags: dict = {}
    for link in sorted(rows("posts_tags"), key=lambda r: r.get("sort_order") or 0):
        name = tags.get(link.get("tag_id"), "")
        if name and not name.startswith("#"):  # #internal tags are Ghost's own, never shown
            post_tags.setdefault(link.get("post_id"), []).append(name)
    post_authors: dict = {}
    for link in sorted(rows("posts_authors"), key=lambda r: r.get("sort_order") or 0):
        if users.get(link.get("author_id")):
            post_authors.setdefault(link.get("post_id"), []).append(users[link.get("author_id")])
    settings = {s.get("key"): s.get("value") for s in rows("settings")}
    source = Source("ghost", str(path), publication=str(settings.get("title") or ""),
                    language=str(settings.get("locale") or settings.get("lang") or ""),
                    description=str(settings.get("description") or ""))
    seen: set[str] = set()
    meta = {m.get("post_id"): m for m in rows("posts_meta")}  # Ghost 5: a feature image's alt and caption
    for post in posts:
        if not isinstance(post, dict) or post.get("status") != "published" or post.get("type", "post") != "post":
            continue
        ident = post.get("id")
        byline = post_authors.get(ident) or ([users[post["author_id"]]] if users.get(post.get("author_id")) else [])
        source.entries.append(Entry(
            key=_unique_key(str(post.get("uuid") or ident or post.get("slug")), seen),
            title=" ".join(str(post.get("title") or "").split()),
            body=str(post.get("html") or ""),
            standfirst=" ".join(str(post.get("custom_excerpt") or "").split()),
            byline=byline, date=_iso_date(post.get("published_at")), categories=post_tags.get(ident, []),
            image=str(post["feature_image"]) if post.get("feature_image") else None,
            image_alt=meta.get(ident, {}).get("feature_image_alt") or post.get("feature_image_alt"),
            image_caption=str(meta.get(ident, {}).get("feature_image_caption") or post.get("feature_image_caption") or ""),
        ))
    return source


# ----------------------------------------------------------------------------------------------
# WordPress (WXR)

_BLOCK = re.compile(r"\s*<(?:(?:p|div|h[1-6]|ul|ol|li|dl|table|blockquote|pre|figure|hr|section|article|aside|address|"
                    r"details|header|footer)\b|!--)", re.I)


def autop(text: str) -> str:
    """WordPress's paragraphs: its editor stores text whose blank lines end paragraphs (what
    wpautop turns into ``<p>`` on display); a part that starts with a block stays as it is."""
    if "\n" not in text:
        return text if _BLOCK.match(text) else f"<p>{text}</p>"
    parts = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "\n".join(p if _BLOCK.match(p) else "<p>" + p.strip().replace("\n", "<br/>\n") + "</p>" for p in parts)


def _lead(attachment: tuple[str, str | None, str] | None) -> dict:
    if attachment is None:
        return {}
    url, alt, caption = attachment
    return {"image": url, "image_alt": alt, "image_caption": caption}


def read_wordpress(data: bytes, path: Path) -> Source:
    """A WordPress export (WXR, an RSS 2.0 file): items of post type ``post`` and status
    ``publish``, in the file's order."""
    from lxml import etree

    from masthead.runtime import safexml

    try:
        root = safexml.parse(data, huge_tree=True)
    except etree.XMLSyntaxError as exc:
        line, col = (exc.position if exc.position else (None, None))
        raise SourceError(f"{Position(path, line, col)}: not well-formed XML ({exc.msg})") from None
    channel = root.find("channel")
    if safexml.local_name(root) != "rss" or channel is None:
        raise SourceError(one_line(f"{path}: not a WordPress export (no rss/channel)"))

    def child(element, name: str, namespace: str | None = None) -> str:
        for c in element:
            ns, local = safexml.split_tag(c.tag)
            if local == name and ((namespace is None and ns is None) or (namespace is not None and (ns or "").startswith(namespace))):
                return c.text or ""
        return ""

    wp, content_ns = "http://wordpress.org/export/", "http://purl.org/rss/1.0/modules/content/"
    authors = {}
    for element in channel:
        if safexml.split_tag(element.tag)[1] == "author" and (safexml.split_tag(element.tag)[0] or "").startswith(wp):
            authors[child(element, "author_login", wp)] = child(element, "author_display_name", wp)
    source = Source("wordpress", str(path), publication=" ".join(child(channel, "title").split()),
                    language=child(channel, "language").strip(),
                    description=" ".join(child(channel, "description").split()))
    base = _web(child(channel, "link"))
    def postmeta(item) -> dict[str, str]:
        found = {}
        for element in item:
            if safexml.split_tag(element.tag)[1] == "postmeta":
                found[child(element, "meta_key", wp)] = child(element, "meta_value", wp).strip()
        return found

    attachments = {}  # post id → (URL, alt, caption) of the media library's pictures
    for item in channel.iter("item"):
        if child(item, "post_type", wp).strip() == "attachment" and child(item, "attachment_url", wp).strip():
            attachments[child(item, "post_id", wp).strip()] = (
                child(item, "attachment_url", wp).strip(), postmeta(item).get("_wp_attachment_image_alt"),
                child(item, "encoded", "http://wordpress.org/export/1.2/excerpt/"))
    seen: set[str] = set()
    for item in channel.iter("item"):
        if child(item, "post_type", wp).strip() != "post" or child(item, "status", wp).strip() != "publish":
            continue
        creator = child(item, "creator", "http://purl.org/dc/elements/1.1/").strip()
        categories = [" ".join((c.text or "").split()) for c in item.findall("category")
                      if c.get("domain") == "category" and (c.text or "").strip()]
        key = child(item, "guid").strip() or child(item, "post_id", wp).strip() or child(item, "title")
        source.entries.append(Entry(
            key=_unique_key(key, seen), title=" ".join(child(item, "title").split()),
            body=autop(child(item, "encoded", content_ns)),
            standfirst=html_text(child(item, "encoded", "http://wordpress.org/export/1.2/excerpt/")
                                 or child(item, "encoded", "http://wordpress.org/export/1.1/excerpt/")
                                 or child(item, "encoded", "http://wordpress.org/export/1.0/excerpt/")),
            byline=[authors.get(creator) or creator] if creator else [],
            date=_iso_date(child(item, "post_date", wp) or child(item, "post_date_gmt", wp)),
            categories=categories, base=_web(child(item, "link")) or base,
            **_lead(attachments.get(postmeta(item).get("_thumbnail_id", ""))),
        ))
    return source


# ----------------------------------------------------------------------------------------------
# DOCX: the files themselves, read at build time by the DOCX reader


def read_docx_folder(folder: Path) -> Source:
    """The .docx files of ``folder`` (not its subfolders), by name. Macro-enabled files (.docm)
    and anything that is not a zip archive are refused."""
    import zipfile

    if not folder.is_dir():
        raise SourceError(one_line(f"{folder}: not a folder of .docx files"))
    source = Source("docx", str(folder))
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        suffix = path.suffix.lower()
        if suffix == ".docm":
            raise SourceError(one_line(f"{path}: a macro-enabled Word file; save it as .docx (without macros)"))
        if suffix != ".docx" or not path.is_file() or path.name.startswith("~$"):  # ~$: Word's lock file
            continue
        if not zipfile.is_zipfile(path):
            raise SourceError(one_line(f"{path}: not a Word file (a .docx is a zip archive)"))
        if not confine.utf8_name(path):
            raise SourceError(one_line(f"{path}: its name is not UTF-8; rename it"))
        from masthead.content.readers import docx

        try:  # the reader's own checks: macros inside a .docx, encryption, a damaged archive …
            docx.check(path.read_bytes(), path)
        except docx.Refused as exc:
            raise SourceError(one_line(f"{path}: {exc}")) from None
        source.entries.append(Entry(key=f"docx:{path.name}", title=path.stem, body="", file=path))
    if not source.entries:
        raise SourceError(one_line(f"{folder}: holds no .docx file"))
    return source
