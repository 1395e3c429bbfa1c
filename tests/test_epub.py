"""The EPUB, checked by EPUBCheck and by reading its package, navigation and documents."""

from __future__ import annotations

import subprocess
import zipfile

from helpers import NS, Epub, epubcheck, need


def test_sample_passes_epubcheck_without_errors_or_warnings(sample_build):
    assert epubcheck(sample_build["epub"]) == []


def test_container_mimetype_first_and_stored(sample_build):
    with zipfile.ZipFile(sample_build["epub"]) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        # Timestamps come from the issue's date, never from the clock.
        assert {i.date_time[:3] for i in z.infolist()} == {(2025, 11, 28)}


def test_package_metadata(sample_build):
    book = Epub(sample_build["epub"])
    assert book.opf.get("version") == "3.0"
    assert book.metadata("title") == ["The Night Shift Issue"]
    assert book.metadata("language") == ["en-GB"]
    assert book.metadata("creator") == ["The Lantern"]
    assert book.metadata("publisher") == ["Lantern Press Ltd"]
    assert book.metadata("date") == ["2025-11-28"]
    assert "Sleep and health" in book.metadata("subject")
    assert book.metadata("rights")[0].startswith("© 2025")
    assert book.metadata("description")[0].startswith("The Night Shift Issue")
    (identifier,) = book.metadata("identifier")
    assert identifier.startswith("urn:uuid:")
    (modified,) = book.meta_property("dcterms:modified")
    assert modified.text == "2025-11-28T00:00:00Z"
    (collection,) = book.meta_property("belongs-to-collection")
    assert collection.text == "The Lantern"
    refines = {m.get("property"): m.text for m in book.opf.findall("opf:metadata/opf:meta", NS)
               if m.get("refines") == "#" + collection.get("id")}
    assert refines == {"collection-type": "series", "group-position": "47"}
    named = {m.get("name"): m.get("content") for m in book.opf.findall("opf:metadata/opf:meta", NS) if m.get("name")}
    assert named["calibre:series"] == "The Lantern" and named["calibre:series_index"] == "47"  # what calibre and Kobo read
    contributors = book.metadata("contributor")
    assert "Miriam Achterberg" in contributors and "Harriet Okonjo-Vale" in contributors


def test_calibre_reads_the_issue_as_a_number_of_its_magazines_series(sample_build):
    ebook_meta = need("ebook-meta")
    shown = subprocess.run([ebook_meta, str(sample_build["epub"])], capture_output=True, text=True, timeout=120).stdout
    series = [line.split(":", 1)[1].strip() for line in shown.splitlines() if line.startswith("Series")]
    assert series == ["The Lantern #47"], shown


def test_spine_is_cover_contents_then_articles_in_manifest_order_with_the_adverts_at_their_places(sample_build):
    spine = Epub(sample_build["epub"]).spine()
    assert spine == [
        "cover.xhtml", "contents.xhtml", "the-week.xhtml", "last-bus.xhtml", "night-shift.xhtml",
        "advert-1.xhtml",  # Alderport Ferries, after night-shift (issue.yaml's adverts:)
        "body-clock.xhtml", "night-radio.xhtml", "nocturnes.xhtml", "madina-la-tanam.xhtml", "last-word.xhtml",
        "advert-2.xhtml",  # Harbour Books, the inside back cover
    ]


def test_manifest_properties_and_media_types(sample_build):
    items = Epub(sample_build["epub"]).manifest()
    by_href = {i["href"]: i for i in items.values()}
    assert by_href["nav.xhtml"]["properties"] == "nav"
    cover = [i for i in items.values() if i.get("properties") == "cover-image"]
    assert len(cover) == 1 and cover[0]["media-type"] == "image/png"
    assert by_href["images/harbour-at-night.jpg"]["media-type"] == "image/jpeg"
    assert by_href["toc.ncx"]["media-type"] == "application/x-dtbncx+xml"
    assert all(i["media-type"] == "font/ttf" for h, i in by_href.items() if h.startswith("fonts/"))


def test_nav_mirrors_sections_and_has_landmarks(sample_build):
    nav = Epub(sample_build["epub"]).nav()
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    sections = toc.findall("x:ol/x:li", NS)
    assert [li.find("x:a", NS).text for li in sections] == ["Briefing", "Features", "Culture"]
    culture = [a.text for a in sections[2].findall("x:ol/x:li/x:a", NS)]
    assert culture == ["The voice in the small hours", "Poems for the lamp-lit hours",
                       "مدينةٌ لا تنام تمامًا", "In praise of the small hours"]
    landmarks = nav.findall(".//x:nav[@epub:type='landmarks']//x:a", NS)
    assert {a.get(f"{{{NS['epub']}}}type") for a in landmarks} == {"cover", "toc", "bodymatter"}


def test_ncx_has_every_article(sample_build):
    book = Epub(sample_build["epub"])
    ncx = book.xml("toc.ncx")
    sources = [c.get("src") for c in ncx.iter("{{{}}}content".format(NS["ncx"]))]
    adverts = [name for name in book.spine() if name.startswith("advert-")]
    assert adverts == ["advert-1.xhtml", "advert-2.xhtml"]
    for document in book.spine()[2:]:
        assert (document in sources) == (document not in adverts), document  # an advert is no article


def test_every_document_declares_language_and_direction(sample_build):
    book = Epub(sample_build["epub"])
    for href in [*book.spine(), "nav.xhtml"]:
        root = book.xml(href)
        assert root.get("lang") and root.get("dir") in ("ltr", "rtl"), href
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == root.get("lang")
    # The root takes the issue's language and direction (reading systems page a document by
    # its root's, and one against the spine's is paged backwards or shown blank); the Arabic
    # article's own are on its <article>.
    arabic = book.xml("madina-la-tanam.xhtml")
    assert (arabic.get("lang"), arabic.get("dir")) == ("en-GB", "ltr")
    article = arabic.find(".//x:article", NS)
    assert (article.get("lang"), article.get("dir")) == ("ar", "rtl")
    assert book.xml("night-shift.xhtml").get("dir") == "ltr"


def test_article_page_has_magazine_parts(sample_build):
    page = Epub(sample_build["epub"]).xml("night-shift.xhtml")
    head = page.find(".//x:header[@class='article-head']", NS)
    assert head.find("x:p[@class='kicker']", NS).text == "Cover story"
    assert head.find("x:h1", NS).text == "Between last orders and first light"
    assert head.find("x:p[@class='standfirst']", NS) is not None
    assert "".join(head.find(".//x:span[@class='byline']", NS).itertext()) == "By Miriam Achterberg"
    assert head.find(".//x:time", NS).get("datetime")
    assert head.find(".//x:span[@class='reading-time']", NS).text.endswith("min read")
    lead = page.find(".//x:figure[@class='lead-image']", NS)
    assert lead.find("x:img", NS).get("alt")
    assert lead.find(".//x:span[@class='credit']", NS).text
    more = page.find(".//x:aside[@class='more-from']", NS)
    assert more.find("x:h2", NS).text == "More from The Lantern"
    links = [a.get("href") for a in more.findall(".//x:a", NS)]
    assert links == ["body-clock.xhtml", "night-radio.xhtml", "nocturnes.xhtml"]


def test_footnotes_are_noteref_footnote_pairs_in_the_same_file(sample_build):
    book = Epub(sample_build["epub"])
    for href in ("night-shift.xhtml", "body-clock.xhtml"):
        page = book.xml(href)
        refs = page.findall(".//x:a[@epub:type='noteref']", NS)
        assert refs, href
        for ref in refs:
            target = ref.get("href").lstrip("#")
            note = page.find(f".//*[@id='{target}']", NS)
            assert note is not None and note.get(f"{{{NS['epub']}}}type") == "footnote", (href, target)
            assert note.tag == f"{{{NS['x']}}}aside"
            if ref.get("id"):  # a back link to the reference
                assert note.find(f".//x:a[@href='#{ref.get('id')}']", NS) is not None


def test_links_between_articles_point_at_the_right_files(sample_build):
    book = Epub(sample_build["epub"])
    page = book.xml("the-week.xhtml")
    hrefs = {a.get("href") for a in page.iter("{{{}}}a".format(NS["x"])) if a.get("href")}
    assert "night-shift.xhtml" in hrefs and "body-clock.xhtml#lowest-ebb" in hrefs
    target = book.xml("body-clock.xhtml")
    assert target.find(".//*[@id='lowest-ebb']") is not None


def test_dropped_scripts_and_stylesheets(sample_build):
    book = Epub(sample_build["epub"])
    radio = book.read("night-radio.xhtml").decode()
    assert "<script" not in radio and "style.css" not in radio and "alert(" not in radio
    assert all("scripted" not in i.get("properties", "") for i in book.manifest().values())


def test_pull_quote_figure_table_definition_list_and_verse(sample_build):
    book = Epub(sample_build["epub"])
    assert book.xml("night-shift.xhtml").find(".//x:aside[@role='doc-pullquote']", NS) is not None
    bus = book.xml("last-bus.xhtml")
    figure = bus.find(".//x:div[@class='article-body']//x:figure", NS)
    assert figure.find("x:figcaption", NS).text and figure.find("x:img", NS).get("alt")
    assert bus.find(".//x:table/x:thead", NS) is not None
    assert book.xml("the-week.xhtml").find(".//x:dl/x:dt", NS) is not None
    assert book.xml("nocturnes.xhtml").find(".//x:div[@class='verse']", NS) is not None
