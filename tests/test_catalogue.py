"""The catalogue's files (masthead.catalogue): the archive site, OPDS 1.2 and 2.0, Atom and the
web editions' Readium manifests, made from hand-made listings (and one sample issue, read).

The JSON is validated against the OPDS 2.0 and Readium Web Publication schemas (tests/schemas/,
copies: the registry maps each schema's $id to its file, nothing is fetched); the Atom is read
by feedparser and checked element by element with lxml.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from jsonschema import Draft7Validator, FormatChecker
from lxml import etree, html
from referencing import Registry, Resource

from helpers import ROOT, pipeline
from masthead.catalogue.records import ArticleListing, IssueListing, Publication, listing_of
from masthead.catalogue.site import catalogue_files

SCHEMAS = Path(__file__).parent / "schemas"
ATOM, DC = "http://www.w3.org/2005/Atom", "http://purl.org/dc/terms/"
NS = {"a": ATOM, "dc": DC, "calibre": "http://calibre.kovidgoyal.net/2009/metadata"}
NAV = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQ = "application/atom+xml;profile=opds-catalog;kind=acquisition"

PUBLICATION = Publication(name="The Lantern", language="en-GB", issn="2049-3630", publisher="Lantern Press Ltd",
                          rights="© Lantern Press Ltd", description="A magazine of the small hours.")


def _png(width: int = 400, height: int = 640) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _articles(slug: str, web: bool, lang: str = "en-GB", direction: str = "ltr") -> tuple[ArticleListing, ...]:
    return tuple(
        ArticleListing(title=title, standfirst=f"About {title.lower()}.", authors=authors, minutes=minutes, language=lang,
                       direction=direction, section=section, kicker=None,
                       href=f"{slug}/web/{name}.html" if web else None)
        for name, title, authors, minutes, section in (
            ("harbour", "The harbour at night", ("Miriam Achterberg",), 9, "Features"),
            ("bus", "The four o'clock bus", ("Owen Castellane", "Nell Farrant"), 4, "Features"),
            ("poems", "Poems for the small hours", (), 2, "Culture"),
        ))


def _listing(slug: str, date: dt.date, number: int | None, *, formats=("epub", "kepub", "pdf", "html"), cover=True,
             lang: str = "en-GB", direction: str = "ltr", title: str | None = None) -> IssueListing:
    files = {"epub": f"{slug}/{slug}.epub", "kepub": f"{slug}/{slug}.kepub.epub", "pdf": f"{slug}/{slug}.pdf",
             "html": f"{slug}/web/index.html"}
    thumbnail = b"\xff\xd8thumbnail of " + slug.encode() if cover else None
    return IssueListing(
        slug=slug, title=title or f"Issue of {date:%B %Y}", publication="The Lantern", date=date, language=lang,
        direction=direction, identifier=f"urn:uuid:00000000-0000-4000-8000-{number or 0:012d}",
        modified=dt.datetime.combine(date, dt.time()), number=number, volume=3, description=f"The {slug} issue.",
        cover_lines=("The week in the dark", "Between last orders and first light"), publisher="Lantern Press Ltd",
        rights="© Lantern Press Ltd", issn="2049-3630", editors=("Harriet Okonjo-Vale",), subjects=("Cities",),
        articles=_articles(slug, "html" in formats, lang, direction),
        files=tuple(sorted((k, v) for k, v in files.items() if k in formats)),
        cover=f"{slug}/cover.jpg" if cover else None, cover_size=(1560, 2496) if cover else None,
        thumbnail=f"{slug}/thumbnail.jpg" if cover else None, thumbnail_size=(320, 512) if cover else None,
        thumbnail_data=thumbnail,
    )


# Five issues over two years, listed out of order: one in Arabic (right to left), one without a
# cover, one with only an EPUB, one with only a web edition (nothing to download: no OPDS entry).
LISTINGS = [
    _listing("lantern-45", dt.date(2025, 9, 26), 45),
    _listing("lantern-47", dt.date(2025, 11, 28), 47),
    _listing("al-fanar-12", dt.date(2025, 10, 31), 12, lang="ar", direction="rtl", title="عدد الليل"),
    _listing("lantern-40", dt.date(2024, 12, 20), 40, cover=False),
    _listing("lantern-39", dt.date(2024, 11, 22), 39, formats=("epub",)),
    _listing("lantern-web", dt.date(2024, 6, 1), 33, formats=("html",)),
]
NEWEST_FIRST = ["lantern-47", "al-fanar-12", "lantern-45", "lantern-40", "lantern-39", "lantern-web"]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return catalogue_files(PUBLICATION, LISTINGS)


# ---------------------------------------------------------------------------- JSON Schemas, offline

def _python_regex(value):
    """A schema with its patterns in Python's syntax: JSON Schema's are ECMA 262 regular
    expressions, whose named groups (?<name>…) Python writes (?P<name>…)."""
    if isinstance(value, dict):
        return {_python_regex(k) if isinstance(k, str) else k: _python_regex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_python_regex(v) for v in value]
    return re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", value) if isinstance(value, str) else value


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        schema = _python_regex(json.loads(path.read_text("utf-8")))
        resources.append((schema["$id"], Resource.from_contents(schema)))
        if schema["$id"] == "https://specs.opds.io/schema/properties.schema.json":  # the Readium link schema's name for it
            resources.append(("https://drafts.opds.io/schema/properties.schema.json", Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def _formats() -> FormatChecker:
    """The schemas' formats, checked without the optional packages jsonschema would use."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        return not isinstance(value, str) or (bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value))
                                              and dt.datetime.fromisoformat(value.replace("Z", "+00:00")) is not None)

    @checker.checks("date", raises=ValueError)
    def date(value: object) -> bool:
        return not isinstance(value, str) or dt.date.fromisoformat(value) is not None

    @checker.checks("uri")
    def uri(value: object) -> bool:
        return not isinstance(value, str) or bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+", value))

    @checker.checks("uri-reference")
    def uri_reference(value: object) -> bool:
        return not isinstance(value, str) or not re.search(r"\s", value)

    return checker


@pytest.fixture(scope="module")
def validate():
    registry, checker = _registry(), _formats()

    def check(document: dict, schema_id: str) -> list[str]:
        schema = registry.contents(schema_id)
        validator = Draft7Validator(schema, registry=registry, format_checker=checker)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(document)]

    return check


OPDS_FEED = "https://specs.opds.io/schema/feed.schema.json"
WEBPUB = "https://readium.org/webpub-manifest/schema/publication.schema.json"


def test_every_opds_2_feed_validates_against_the_opds_schemas(files, validate):
    feeds = sorted(p for p in files if p.startswith("opds/") and p.endswith(".json"))
    assert feeds == ["opds/2024.json", "opds/2025.json", "opds/index.json", "opds/latest.json"]
    for path in feeds:
        assert validate(json.loads(files[path]), OPDS_FEED) == [], path
    index = json.loads(files["opds/index.json"])
    assert [n["href"] for n in index["navigation"]] == ["latest.json", "2025.json", "2024.json"]
    latest = json.loads(files["opds/latest.json"])
    assert [p["metadata"]["belongsTo"]["series"]["position"] for p in latest["publications"]] == [47, 12, 45, 40, 39]


def test_an_opds_2_publication_has_its_series_periodical_images_and_acquisition_links(files):
    publication = json.loads(files["opds/2025.json"])["publications"][0]
    meta = publication["metadata"]
    assert meta["@type"] == "http://schema.org/PublicationIssue"
    assert meta["published"] == "2025-11-28" and meta["language"] == "en-GB"
    assert meta["belongsTo"]["periodical"] == {"name": "The Lantern", "identifier": "urn:issn:2049-3630", "position": 47, "volume": 3}
    acquisitions = {link["type"]: link["href"] for link in publication["links"] if link["rel"] == "http://opds-spec.org/acquisition"}
    assert acquisitions == {"application/epub+zip": "../lantern-47/lantern-47.epub",
                            "application/kepub+zip": "../lantern-47/lantern-47.kepub.epub",
                            "application/pdf": "../lantern-47/lantern-47.pdf"}
    assert [(i["href"], i["width"]) for i in publication["images"]] == [("../lantern-47/cover.jpg", 1560),
                                                                       ("../lantern-47/thumbnail.jpg", 320)]


def test_each_web_edition_has_a_readium_manifest_that_validates(files, validate):
    manifests = sorted(p for p in files if p.endswith("/manifest.json"))
    assert manifests == [f"{slug}/web/manifest.json" for slug in ("al-fanar-12", "lantern-40", "lantern-45", "lantern-47", "lantern-web")]
    for path in manifests:
        assert validate(json.loads(files[path]), WEBPUB) == [], path
    manifest = json.loads(files["lantern-47/web/manifest.json"])
    assert [(r["href"], r["type"]) for r in manifest["readingOrder"]] == [
        ("harbour.html", "text/html"), ("bus.html", "text/html"), ("poems.html", "text/html")]
    assert [(t["title"], [c["href"] for c in t["children"]]) for t in manifest["toc"]] == [
        ("Features", ["harbour.html", "bus.html"]), ("Culture", ["poems.html"])]
    assert [a["name"] for a in manifest["metadata"]["contains"]["article"]] == [
        "The harbour at night", "The four o'clock bus", "Poems for the small hours"]
    assert manifest["metadata"]["belongsTo"]["periodical"]["name"] == "The Lantern"
    assert {"rel": "cover", "href": "../cover.jpg", "type": "image/jpeg", "width": 1560, "height": 2496} in manifest["resources"]
    assert {"rel": "alternate", "href": "../lantern-47.epub", "type": "application/epub+zip"} in manifest["links"]


# ---------------------------------------------------------------------------- OPDS 1.2

def test_the_opds_1_2_feeds_parse_with_a_feed_parser(files):
    for path in ("opds/index.xml", "opds/latest.xml", "opds/2025.xml", "opds/2024.xml"):
        parsed = feedparser.parse(files[path])
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.feed.title.startswith("The Lantern")
    latest = feedparser.parse(files["opds/latest.xml"])
    assert [e.title for e in latest.entries][:2] == ["Issue of November 2025", "عدد الليل"]
    assert {link.type for link in latest.entries[0].links if link.rel == "http://opds-spec.org/acquisition"} == {
        "application/epub+zip", "application/kepub+zip", "application/pdf"}


def _links(element) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for link in element.findall("a:link", NS):
        found.setdefault(link.get("rel"), []).append((link.get("href"), link.get("type")))
    return found


def test_the_opds_1_2_root_is_a_navigation_feed_to_the_latest_issues_and_each_year(files):
    root = etree.fromstring(files["opds/index.xml"])
    for name in ("id", "title", "updated", "author/a:name"):
        assert root.findtext(f"a:{name}", namespaces=NS), name
    links = _links(root)
    assert links["self"] == [("index.xml", NAV)] and links["start"] == [("index.xml", NAV)]
    entries = root.findall("a:entry", NS)
    assert [_links(e) for e in entries] == [
        {"http://opds-spec.org/sort/new": [("latest.xml", ACQ)]}, {"subsection": [("2025.xml", ACQ)]},
        {"subsection": [("2024.xml", ACQ)]}]
    for entry in entries:
        assert entry.findtext("a:id", namespaces=NS) and entry.findtext("a:updated", namespaces=NS)


def test_every_opds_1_2_acquisition_entry_has_the_required_elements(files):
    feed = etree.fromstring(files["opds/2025.xml"])
    links = _links(feed)
    assert links["self"] == [("2025.xml", ACQ)] and links["start"] == [("index.xml", NAV)] and links["up"] == [("index.xml", NAV)]
    entries = feed.findall("a:entry", NS)
    assert [e.findtext("dc:issued", namespaces=NS) for e in entries] == ["2025-11-28", "2025-10-31", "2025-09-26"]
    for entry in entries:
        for name in ("a:id", "a:title", "a:updated", "a:author/a:name", "dc:language", "dc:identifier", "dc:publisher",
                     "calibre:series", "calibre:series_index"):
            assert entry.findtext(name, namespaces=NS), name
        assert entry.find("a:summary", NS).get("type") == "text"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext("a:updated", namespaces=NS))
    first = _links(entries[0])
    assert first["http://opds-spec.org/image"] == [("../lantern-47/cover.jpg", "image/jpeg")]
    assert first["http://opds-spec.org/image/thumbnail"] == [("../lantern-47/thumbnail.jpg", "image/jpeg")]
    assert first["http://opds-spec.org/acquisition"] == [
        ("../lantern-47/lantern-47.epub", "application/epub+zip"), ("../lantern-47/lantern-47.kepub.epub", "application/kepub+zip"),
        ("../lantern-47/lantern-47.pdf", "application/pdf")]
    assert entries[0].findtext("calibre:series_index", namespaces=NS) == "47"
    assert entries[1].get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"


def test_an_issue_with_nothing_to_download_is_left_out_of_the_opds_feeds_but_not_the_archive(files):
    feed = etree.fromstring(files["opds/2024.xml"])
    assert [e.findtext("dc:issued", namespaces=NS) for e in feed.findall("a:entry", NS)] == ["2024-12-20", "2024-11-22"]
    only_epub = _links(feed.findall("a:entry", NS)[1])
    assert only_epub["http://opds-spec.org/acquisition"] == [("../lantern-39/lantern-39.epub", "application/epub+zip")]
    assert b"lantern-web/issue.html" in files["index.html"]


# ---------------------------------------------------------------------------- Atom

def test_the_atom_feed_parses_with_the_newest_issues_first_and_their_files_as_enclosures(files):
    parsed = feedparser.parse(files["feed.atom"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "The Lantern"
    assert [e.link for e in parsed.entries] == [f"{slug}/web/index.html" if slug != "lantern-39" else "lantern-39/issue.html"
                                               for slug in NEWEST_FIRST]
    enclosures = [link.href for link in parsed.entries[0].links if link.rel == "enclosure"]
    assert enclosures == ["lantern-47/lantern-47.epub", "lantern-47/lantern-47.kepub.epub", "lantern-47/lantern-47.pdf"]
    assert "The harbour at night" in parsed.entries[0].content[0].value


# ---------------------------------------------------------------------------- the archive site

def test_the_archive_lists_the_issues_newest_first_grouped_by_year(files):
    page = html.fromstring(files["index.html"])
    years = page.xpath("//section[@class='year']")
    assert [y.xpath("string(h2)") for y in years] == ["2025", "2024"]
    slugs = [[a.get("href").split("/")[0] for a in y.xpath(".//h3/a")] for y in years]
    assert slugs == [NEWEST_FIRST[:3], NEWEST_FIRST[3:]]
    first = page.xpath("//li[contains(@class, 'issue')]")[0]
    assert first.xpath("string(.//time/@datetime)") == "2025-11-28"
    assert "Issue 47" in first.xpath("string(.//*[@class='issue-meta'])")
    assert [li.text_content() for li in first.xpath(".//ul[@class='cover-lines']/li")] == [
        "The week in the dark", "Between last orders and first light"]
    assert [a.text_content() for a in first.xpath(".//ul[@class='formats']//a")] == ["Read online", "EPUB", "Kobo (KEPUB)", "PDF"]


def test_an_issue_links_only_the_formats_it_has(files):
    page = html.fromstring(files["index.html"])
    cards = {li.xpath("string(.//h3/a/@href)").split("/")[0]: li for li in page.xpath("//li[contains(@class, 'issue')]")}
    assert [a.get("href") for a in cards["lantern-39"].xpath(".//ul[@class='formats']//a")] == ["lantern-39/lantern-39.epub"]
    assert [a.get("href") for a in cards["lantern-web"].xpath(".//ul[@class='formats']//a")] == ["lantern-web/web/index.html"]
    assert not cards["lantern-40"].xpath(".//img") and cards["lantern-40"].xpath(".//*[@role='img']/@aria-label")


def test_an_issue_page_lists_its_articles_with_links_to_the_web_edition(files):
    page = html.fromstring(files["lantern-47/issue.html"])
    assert page.get("lang") == "en-GB" and page.xpath("string(//h1)") == "Issue of November 2025"
    assert [h.text_content() for h in page.xpath("//h3[@class='section-heading']")] == ["Features", "Culture"]
    assert [a.get("href") for a in page.xpath("//h4/a")] == ["web/harbour.html", "web/bus.html", "web/poems.html"]
    assert "By Owen Castellane, Nell Farrant · 4 min read" in page.xpath("string(//li[@class='article'][2])")
    assert page.xpath("//img/@alt") == ["Cover of Issue of November 2025"]


def _targets(path: str, data: bytes) -> list[str]:
    page = html.fromstring(data)
    return [value for value in page.xpath("//@href | //@src") if not value.startswith("#")]


def test_the_archive_works_from_files_without_javascript(files):
    built = {path for listing in LISTINGS for _, path in listing.files} | {listing.cover for listing in LISTINGS if listing.cover}
    built |= {a.href for listing in LISTINGS for a in listing.articles if a.href}
    pages = [p for p in files if p.endswith(".html")]
    assert len(pages) == 1 + len(LISTINGS)
    for path in pages:
        page = html.fromstring(files[path])
        assert not page.xpath("//script | //@*[starts-with(name(), 'on')]"), path
        for target in _targets(path, files[path]):
            parts = urlsplit(target)
            assert not parts.scheme and not parts.netloc, (path, target)
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
            assert resolved in files or resolved in built, (path, target)


def test_an_issue_in_a_right_to_left_language_is_marked_rtl(files):
    page = html.fromstring(files["index.html"])
    card = page.xpath("//li[contains(@class, 'issue')][.//a[starts-with(@href, 'al-fanar-12/')]]")[0]
    assert (card.get("lang"), card.get("dir")) == ("ar", "rtl")
    issue = html.fromstring(files["al-fanar-12/issue.html"])
    assert (issue.get("lang"), issue.get("dir")) == ("ar", "rtl")  # the issue's page speaks its language
    assert issue.xpath("string(//h2)") == "المحتويات"
    assert json.loads(files["al-fanar-12/web/manifest.json"])["metadata"]["readingProgression"] == "rtl"


def test_what_a_listing_says_is_escaped_in_the_archive():
    hostile = dataclasses.replace(LISTINGS[0], title="<script>alert(1)</script>", cover_lines=('" onload="x',))
    page = catalogue_files(PUBLICATION, [hostile])["index.html"]
    assert b"<script>" not in page and b"&lt;script&gt;" in page
    assert not html.fromstring(page).xpath("//script | //@onload")


def test_the_same_listings_in_any_order_give_the_same_bytes(files):
    again = catalogue_files(PUBLICATION, list(reversed(LISTINGS)))
    assert again == files
    assert list(again) == sorted(again)
    assert {files[listing.thumbnail] for listing in LISTINGS if listing.thumbnail} == {
        listing.thumbnail_data for listing in LISTINGS if listing.thumbnail}


def test_a_site_url_makes_the_ids_and_self_links_absolute():
    published = dataclasses.replace(PUBLICATION, site_url="https://example.org/lantern")
    made = catalogue_files(published, LISTINGS[:2])
    feed = etree.fromstring(made["opds/latest.xml"])
    assert _links(feed)["self"] == [("https://example.org/lantern/opds/latest.xml", ACQ)]
    assert feed.findtext("a:id", namespaces=NS) == "https://example.org/lantern/opds/latest.xml"
    assert _links(feed)["start"] == [("index.xml", NAV)]  # the rest stays relative


# ---------------------------------------------------------------------------- from a sample issue

def test_a_sample_issue_read_by_the_pipeline_is_listed_with_its_articles_web_pages(validate):
    issue = pipeline(ROOT / "issues" / "lantern-2025-11-28").read()
    slug = "lantern-47"
    files = {"epub": f"{slug}/{slug}.epub", "pdf": f"{slug}/{slug}.pdf", "html": f"{slug}/{slug}/index.html",
             "cover": f"{slug}/{slug}/images/cover.png"}
    listing = listing_of(issue, files, slug, cover_bytes=_png())
    assert (listing.title, listing.number, listing.date, listing.language) == ("The Night Shift Issue", 47, dt.date(2025, 11, 28), "en-GB")
    assert listing.identifier == issue.meta.identifier and listing.series == "The Lantern" and listing.series_index == 47
    assert listing.modified == dt.datetime(2025, 11, 28)
    assert [a.href for a in listing.articles] == [f"{slug}/{slug}/{a.id}.html" for a in issue.articles]
    assert listing.cover_size == (400, 640) and listing.thumbnail_size == (320, 512)
    assert listing.thumbnail_data is not None and listing.thumbnail_data.startswith(b"\xff\xd8")
    made = catalogue_files(PUBLICATION, [listing])
    assert made[f"{slug}/thumbnail.jpg"] == listing.thumbnail_data
    assert validate(json.loads(made[f"{slug}/{slug}/manifest.json"]), WEBPUB) == []
    assert validate(json.loads(made["opds/latest.json"]), OPDS_FEED) == []
    assert listing_of(issue, files, slug, cover_bytes=_png()) == listing  # the same listing, thumbnail and all


# ---------------------------------------------------------------------------- accessibility, in Chromium

AXE = ROOT / "tools" / "ace" / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.min.js"


def test_the_archive_pages_pass_axe_in_chromium(files, tmp_path):
    """axe-core (Ace's copy) on the archive and an issue's page in Arabic, right to left: WCAG 2 A
    and AA (contrast too) and axe's best practices (landmarks, heading order)."""
    import html as entities

    from readerlook import _run

    if not AXE.is_file():
        pytest.skip("Ace's node modules are not installed (make test installs them)")
    for path, data in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    found = {}
    for path in ("index.html", "al-fanar-12/issue.html"):  # (an issue's page left to right: the same template)
        page = tmp_path / path
        script = (f"<script src='{AXE.as_uri()}'></script><script>addEventListener('load', () => axe.run(document, "
                  "{runOnly: ['wcag2a', 'wcag2aa', 'best-practice']}).then(r => { const p = document.createElement('pre');"
                  " p.id = 'axe'; p.textContent = JSON.stringify(r.violations.map(v => [v.id, v.nodes[0].html.slice(0, 100)]));"
                  " document.body.appendChild(p); }));</script>")
        checked = page.with_name("axe-" + page.name)
        checked.write_text(page.read_text("utf-8").replace("</body>", script + "</body>"), "utf-8")
        dom = _run("--virtual-time-budget=10000", "--dump-dom", checked.as_uri()).stdout
        result = re.search(r'<pre id="axe">(.*?)</pre>', dom, re.S)
        assert result, dom[-1000:]
        found[path] = json.loads(entities.unescape(result.group(1)))
    assert found == {"index.html": [], "al-fanar-12/issue.html": []}


def test_a_folder_name_that_a_url_must_escape_is_linked_escaped():
    odd = _listing("No. 4 #2", dt.date(2025, 1, 1), 4)
    made = catalogue_files(PUBLICATION, [odd])
    page = html.fromstring(made["index.html"])
    assert page.xpath("string(//h3/a/@href)") == "No.%204%20%232/issue.html"
    assert _links(etree.fromstring(made["opds/latest.xml"]).find("a:entry", NS))["http://opds-spec.org/acquisition"][0] == (
        "../No.%204%20%232/No.%204%20%232.epub", "application/epub+zip")
    assert json.loads(made["No. 4 #2/web/manifest.json"])["readingOrder"][0]["href"] == "harbour.html"
    assert feedparser.parse(made["feed.atom"]).entries[0].link == "No.%204%20%232/web/index.html"


def test_without_a_thumbnail_the_feeds_give_the_cover_as_one():
    plain = dataclasses.replace(LISTINGS[1], thumbnail=None, thumbnail_data=None, thumbnail_size=None)
    made = catalogue_files(PUBLICATION, [plain])
    links = _links(etree.fromstring(made["opds/latest.xml"]).find("a:entry", NS))
    assert links["http://opds-spec.org/image/thumbnail"] == links["http://opds-spec.org/image"] == [
        ("../lantern-47/cover.jpg", "image/jpeg")]
    assert "lantern-47/thumbnail.jpg" not in made
