"""Pages that are not articles (issue 26): issue.yaml's ``adverts:`` in every edition of the sample.

The sample issue carries two adverts: Alderport Ferries, a full page after "night-shift", and
Harbour Books on the inside back cover. One in-process build of every format (the print layout
once) serves the EPUB, KEPUB, web and print tests; the session's CMYK build with a 3 mm bleed
(conftest's ``sample_cmyk_build``, which test_preflight.py shares) the press's.

The referees run on the same sample, adverts included, in the files that run them once for the
whole sample (not again here, for the suite's time): EPUBCheck in test_epub.py, Ace in
test_accessibility.py, EPUBCheck on the KEPUB in test_kepub.py, axe-core on every web page at two
widths, light and dark, in test_web_reader.py.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import lxml.html
import pikepdf
import pytest
from lxml import etree
from test_bad_input import assert_failed_cleanly, assert_reported
from test_input_errors import _append

from helpers import NS, SAMPLE, Epub, build_folder, masthead, need, pipeline

FERRIES, BOOKSHOP = "advert-1.xhtml", "advert-2.xhtml"  # the sample's adverts, in manifest order
# 19 of front and articles (the ferries' page 10 among them), a blank verso so that the inside back
# cover is a recto (21), and a blank back cover: 22, a count a printer can bind
PAGES = 22


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample in every format, laid out once: (pipeline, {format: bytes or {name: bytes}}, folder)."""
    run = pipeline(SAMPLE, ("epub", "pdf", "kepub", "html"))
    out = tmp_path_factory.mktemp("adverts-out")
    run.write(out)
    return run, run.export(), out


@pytest.fixture(scope="module")
def epub(built) -> Epub:
    _, _, out = built
    return Epub(out / f"{SAMPLE.name}.epub")


def _pdf(built) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(built[1]["pdf"]))


def _page_text(pdf_bytes: bytes, page: int) -> str:
    need("pdftotext")
    result = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", "-", "-"], input=pdf_bytes,
                            capture_output=True, timeout=60)
    return result.stdout.decode("utf-8")


def _images_drawn(page: pikepdf.Page) -> list[tuple[float, float, float, float]]:
    """Each image XObject the page draws, as (left, bottom, right, top) in PDF points: the
    content stream's transformations followed through q, Q and cm to each Do."""
    def times(a, b):
        return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
                a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]

    ctm, stack, found = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [], []
    xobjects = page.resources.get("/XObject", {})
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop()
        elif op == "cm":
            ctm = times([float(Decimal(str(v))) for v in operands], ctm)
        elif op == "Do" and xobjects.get(operands[0]) is not None and xobjects[operands[0]].get("/Subtype") == "/Image":
            corners = [(ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5]) for x in (0, 1) for y in (0, 1)]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            found.append((min(xs), min(ys), max(xs), max(ys)))
    return found


# ---------------------------------------------------------------------------- what the issue holds


def test_the_sample_reads_two_adverts_that_are_no_articles(built):
    run, _, _ = built
    issue = run.read()
    assert [a.entry.advertiser for a in issue.adverts] == ["Alderport Ferries", "Harbour Books"]
    assert [(a.entry.after, a.entry.place, a.entry.size) for a in issue.adverts] == [
        ("night-shift", None, "full"), (None, "inside_back_cover", "full")]
    assert len(issue.articles) == 8 and not any(a.id.startswith("advert") for a in issue.articles)
    from masthead.catalogue.records import listing_of

    listing = listing_of(issue, {}, SAMPLE.name)  # the archive's, OPDS's and Atom's article lists and minutes
    assert len(listing.articles) == 8 and "Alderport Ferries" not in [a.title for a in listing.articles]


# ---------------------------------------------------------------------------- print


def test_the_print_edition_has_the_ferries_page_after_its_article_and_the_bookshop_second_last(built):
    pdf = _pdf(built)
    assert len(pdf.pages) == PAGES and PAGES % 2 == 0
    drawn = {n + 1: _images_drawn(page) for n, page in enumerate(pdf.pages)}
    width, height = (float(v) for v in pdf.pages[0].trimbox[2:])
    full = [n for n, boxes in drawn.items() if any(b[2] - b[0] >= width - 1 and b[3] - b[1] >= height - 1 for b in boxes)]
    assert full == [10, PAGES - 1]  # the ferries after night-shift's pages 7-9; the inside back cover
    for blank in (PAGES - 2, PAGES):  # the padding verso, the blank back cover
        assert drawn[blank] == [] and _page_text(built[1]["pdf"], blank).strip() == "", blank
    contents = _page_text(built[1]["pdf"], 2)
    assert "What the body knows at 3 a.m." in contents and " 11" in contents  # the page after the advert


def test_an_advert_page_has_no_folio_no_running_head_and_no_text(built):
    for page in (10, PAGES - 1):
        assert _page_text(built[1]["pdf"], page).strip() == "", page
    assert re.search(r"\b11\b", _page_text(built[1]["pdf"], 11))  # the next page has its folio


def test_the_advert_picture_covers_the_bleed_box_in_a_cmyk_build_with_bleed(sample_cmyk_build):
    _, path = sample_cmyk_build
    pdf = pikepdf.open(path)
    for number in (10, len(pdf.pages) - 1):
        page = pdf.pages[number - 1]
        bleed = [float(v) for v in page.obj["/BleedBox"]]
        assert [float(v) for v in page.trimbox][:2] == [0, 0] and bleed[0] < -8  # 3 mm beyond the trim
        (box,) = _images_drawn(page)
        assert box[0] <= bleed[0] + 0.1 and box[1] <= bleed[1] + 0.1, (box, bleed)
        assert box[2] >= bleed[2] - 0.1 and box[3] >= bleed[3] - 0.1, (box, bleed)


def test_the_crop_marks_are_drawn_over_an_advert_printed_to_the_bleed(tmp_path):
    """The press trims by the marks in the bleed: WeasyPrint drew them first, under everything,
    and a full-page advert's picture, printed to the bleed, covered them. Now they are drawn
    last on the page: after the picture, in registration ink."""
    from helpers import copy_sample

    issue = copy_sample(tmp_path / "issue" / SAMPLE.name)
    manifest = issue / "issue.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("\npdf:\n  page_size: A4\n",
                                     "\npdf:\n  page_size: A4\n  color: cmyk\n  bleed: 3mm\n  crop_marks: true\n"), "utf-8")
    path = build_folder(issue, tmp_path / "out", "pdf")["pdf"]
    pdf = pikepdf.open(path)
    for number in (10, len(pdf.pages) - 1):  # the two full-page adverts
        page = pdf.pages[number - 1]
        content = page.obj.Contents.read_bytes()
        picture = [m.end() for m in re.finditer(rb"/i\w+ Do\b", content)]
        after = re.findall(rb"/Artifact\s+BMC\s+/(x\w+) Do", content[max(picture or [len(content)]):])
        assert picture and len(after) == 1, (number, content[-200:])
        marks = page.Resources.XObject["/" + after[0].decode()].read_bytes()
        assert re.search(rb"(?m)^S$", marks) and b"/DeviceCMYK CS\n1 1 1 1 SCN" in marks  # strokes, in registration: every ink


def test_the_advert_pictures_are_cmyk_in_a_cmyk_build_and_at_300_ppi_or_more(sample_cmyk_build):
    need("pdfimages")
    _, path = sample_cmyk_build
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, timeout=60).stdout
    rows = {int(cols[0]): cols for line in listing.splitlines()[2:] if (cols := line.split())}
    for page in (10, 21):
        assert rows[page][5] == "cmyk", listing
        assert min(int(rows[page][12]), int(rows[page][13])) >= 300, listing


def test_preflight_finds_nothing_on_the_advert_pages_of_the_cmyk_build(sample_cmyk_build):
    issue, path = sample_cmyk_build
    result = masthead("preflight", str(issue), "--pdf", str(path), "--json")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if {10, 21} & set(f["pages"])], findings


def test_the_flatplan_names_each_advert_at_its_page(built):
    from masthead.tools import flatplan

    run, _, _ = built
    printed = run.lay_out()
    names = flatplan.labels(run.render(), printed.starts, pages=printed.pages,
                            adverts={a.doc_name: a.entry.advertiser for a in run.read().adverts})
    assert names[9] == "Advertisement · Alderport Ferries"
    assert names[PAGES - 2] == "Advertisement · Harbour Books"
    assert names[PAGES - 3] == names[PAGES - 1] == ""  # the blank pages, 20 and 22
    assert names[10].endswith("What the body knows at 3 a.m.")


# ---------------------------------------------------------------------------- EPUB and KEPUB


def test_each_advert_is_a_page_of_the_spine_at_its_place(epub):
    spine = epub.spine()
    assert spine[spine.index("night-shift.xhtml") + 1] == FERRIES
    assert spine[-1] == BOOKSHOP and spine[-2] == "last-word.xhtml"


def test_the_advert_page_names_itself_an_advertisement_with_its_alt_text_and_its_link(epub):
    page = epub.xml(FERRIES)
    (aside,) = page.findall(".//x:aside", NS)
    assert aside.get("aria-label") == "Advertisement: \u2068Alderport Ferries\u2069"  # isolated, as a <bdi> would
    (img,) = aside.findall(".//x:img", NS)
    assert img.get("alt").startswith("Alderport Ferries: the night boat to the islands")
    (link,) = aside.findall(".//x:a", NS)
    assert (link.get("href"), "".join(link.itertext())) == ("https://ferries.example/", "Visit Alderport Ferries")
    (mail,) = epub.xml(BOOKSHOP).findall(".//x:a", NS)
    assert (mail.get("href"), "".join(mail.itertext())) == ("mailto:shop@harbourbooks.example", "Write to Harbour Books")


def test_the_adverts_are_in_no_contents_no_nav_list_and_no_more_from(epub):
    nav = etree.tostring(epub.nav(), encoding="unicode")
    toc = nav.split('epub:type="page-list"')[0]
    assert "advert" not in toc and "Alderport" not in toc
    assert 'href="advert-1.xhtml#page-10"' in nav  # its printed page, in the page list
    for page in (20, 21, 22):  # the blank verso and back cover beside the inside back cover's page
        assert f'href="advert-2.xhtml#page-{page}"' in nav, page
    assert b"Alderport Ferries" not in epub.read("contents.xhtml") and b"Harbour Books" not in epub.read("contents.xhtml")
    for name in epub.spine():
        if name not in (FERRIES, BOOKSHOP):
            assert b"advert-" not in epub.read(name), name


def test_the_kepub_carries_both_advert_pages(built):
    _, _, out = built
    kepub = Epub(out / f"{SAMPLE.name}.kepub.epub")
    assert FERRIES in kepub.spine() and kepub.spine()[-1] == BOOKSHOP


# ---------------------------------------------------------------------------- the web edition


def test_the_web_home_page_shows_each_advert_as_a_sponsored_card_at_its_place(built):
    files = built[1]["html"]
    home = lxml.html.fromstring(files["index.html"])
    cards = home.xpath("//figure[contains(@class, 'advert-card')]")
    assert len(cards) == 2
    assert len(home.xpath("//article[contains(@class, 'card')]")) == 8  # the articles alone
    ferries = cards[0]
    assert ferries.getprevious().xpath(".//a/@href") == ["night-shift.html"]
    assert ferries.xpath(".//a/@rel") == ["sponsored noopener"]
    assert ferries.xpath(".//img/@alt")[0].startswith("Alderport Ferries")
    assert "advert-1.html" not in files and files[ferries.xpath(".//img/@src")[0]]  # no page; its picture


# ---------------------------------------------------------------------------- bad input

ADVERT = ("adverts:\n"                           # line 10 of conftest's issue_dir
          "  - image: images/ad.png\n"           # 11, the value at column 12
          "    alt: Ann's shop, open late\n"     # 12, column 10
          "    advertiser: Ann's Shop\n"         # 13
          "    link: https://shop.example/\n"    # 14, column 11
          "    after: one\n")                    # 15, column 12


def _with_advert(issue: Path, advert: str = ADVERT) -> None:
    from PIL import Image

    (issue / "images").mkdir(exist_ok=True)
    Image.new("RGB", (40, 60), "#336699").save(issue / "images" / "ad.png")
    _append(issue / "issue.yaml", advert)


def _save_gif(path: Path) -> None:
    from PIL import Image

    Image.new("P", (40, 60)).save(path, format="GIF")


def _save_apng(path: Path) -> None:
    from PIL import Image

    frames = [Image.new("RGB", (40, 60), colour) for colour in ("#336699", "#993366")]
    frames[0].save(path, format="PNG", save_all=True, append_images=frames[1:])


def _outside(issue: Path) -> None:
    _with_advert(issue)
    os.rename(issue / "images" / "ad.png", issue.parent / "ad.png")
    os.symlink(issue.parent / "ad.png", issue / "images" / "ad.png")


BAD_ADVERTS = [
    ("missing-image", lambda i: (_with_advert(i), (i / "images" / "ad.png").unlink()), 11, 12, r"ad\.png"),
    ("image-outside-the-folder", lambda i: _with_advert(i, ADVERT.replace("images/ad.png", "../ad.png")), 11, 12,
     r"outside"),
    ("image-a-link-out-of-the-folder", _outside, 11, 12, r"link|outside"),
    ("image-not-a-picture", lambda i: (_with_advert(i), (i / "images" / "ad.png").write_text("no picture")), 11, 12,
     r"not an image"),
    # the README promises JPEG or PNG, one still picture: an animated one moved on an e-reader's page
    ("a-gif", lambda i: (_with_advert(i, ADVERT.replace("ad.png", "ad.gif")), _save_gif(i / "images" / "ad.gif")),
     11, 12, r"an advert is one still picture, JPEG or PNG, not a GIF"),
    ("an-animated-png", lambda i: (_with_advert(i), _save_apng(i / "images" / "ad.png")), 11, 12,
     r"not an animated PNG"),
    ("javascript-link", lambda i: _with_advert(i, ADVERT.replace("https://shop.example/", "javascript:alert(1)")),
     14, 11, r"'link' must be a web address .*or a mailto"),
    ("ftp-link", lambda i: _with_advert(i, ADVERT.replace("https://shop.example/", "ftp://shop.example/")),
     14, 11, r"'link' must be a web address"),
    ("unknown-article", lambda i: _with_advert(i, ADVERT.replace("after: one", "after: three")), 15, 12,
     r"'after: three' names no article"),
    ("missing-alt", lambda i: _with_advert(i, ADVERT.replace("    alt: Ann's shop, open late\n", "")), 11, 5,
     r"missing required key 'alt'"),
    ("empty-alt", lambda i: _with_advert(i, ADVERT.replace("alt: Ann's shop, open late", 'alt: ""')), 12, 10,
     r"'alt' must not be empty"),
    ("two-adverts-at-one-place", lambda i: _with_advert(i, ADVERT.replace("after: one", "place: back_cover")
                                                        + ADVERT[9:].replace("after: one", "place: back_cover")),
     20, 12, r"a second advert at 'back_cover'"),
    ("after-and-place", lambda i: _with_advert(i, ADVERT + "    place: back_cover\n"), 16, 12, r"either 'after' or 'place'"),
    ("unknown-key", lambda i: _with_advert(i, ADVERT.replace("advertiser:", "sponsor:")), 13, 5,
     r"unknown key 'sponsor' in advert — did you mean 'advertiser'"),
    # an advert without its picture, or after no article, was dropped from every edition in silence
    ("no-image", lambda i: _with_advert(i, ADVERT.replace("  - image: images/ad.png\n    alt:", "  - alt:")), 11, 5,
     r"missing required key 'image'"),
    *[(f"image-{name}", lambda i, v=value: _with_advert(i, ADVERT.replace("image: images/ad.png", f"image: {v}")),
       11, 12, r"'image' must not be empty") for name, value in (("empty", '""'), ("null", "null"), ("spaces", '"  "'))],
    *[(f"after-{name}", lambda i, v=value: _with_advert(i, ADVERT.replace("after: one", f"after: {v}")),
       15, 12, r"'after' must not be empty") for name, value in (("empty", '""'), ("null", "null"), ("spaces", '"  "'))],
    ("an-empty-mapping", lambda i: _with_advert(i, "adverts:\n  - {}\n"), 11, 5, r"empty advert: it needs 'image'"),
    # only invisible characters: as empty as spaces
    *[(f"invisible-{name}-{key}", lambda i, k=key, v=value: _with_advert(
        i, re.sub(rf"(?m)^    {k}: .*$", lambda _: f'    {k}: "{v}"', ADVERT)), 12 if key == "alt" else 13, 10 if key == "alt" else 17,
       rf"'{key}' must not be empty") for key in ("alt", "advertiser")
      for name, value in (("zwsp", "\\u200b\\u200b"), ("bom", "\\ufeff"), ("isolates", "\\u2066\\u2069"),
                          ("soft-hyphen", "\\u00ad"))],
]


@pytest.mark.parametrize("case", BAD_ADVERTS, ids=[c[0] for c in BAD_ADVERTS])
def test_a_bad_advert_is_an_error_at_its_place_and_nothing_is_written(case, issue_dir: Path, tmp_path: Path):
    _, change, line, col, message = case
    change(issue_dir)
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub")
    found = assert_failed_cleanly(result, out)
    assert_reported(found, result.stderr, issue_dir / "issue.yaml", line, col, message)


def test_a_good_advert_in_the_small_issue_builds(issue_dir: Path, tmp_path: Path):
    _with_advert(issue_dir)
    run = pipeline(issue_dir, ("epub",))
    (advert,) = run.read().adverts
    assert (advert.entry.after, advert.image, advert.width) == ("one", "adverts/advert-1.png", 40)
    assert [d.name for d in run.render().documents][:5] == ["cover.xhtml", "contents.xhtml", "one.xhtml",
                                                            "advert-1.xhtml", "two.xhtml"]


def test_fixed_places_land_on_page_2_and_the_last_page_and_a_half_page_fills_the_lower_half(issue_dir: Path):
    """The small issue with an inside front cover (half a page), a full page after its first
    article and a back cover: page 2, its picture in the lower half; the back cover the last
    page, a verso (an even count); no advert page has a folio."""
    from PIL import Image

    _with_advert(issue_dir, ADVERT + "    size: full\n"
                 "  - image: images/ad.png\n    alt: Half\n    advertiser: Half Co\n    size: half\n"
                 "    place: inside_front_cover\n"
                 "  - image: images/ad.png\n    alt: Back\n    advertiser: Back Co\n    place: back_cover\n")
    Image.new("RGB", (800, 1130), "#336699").save(issue_dir / "images" / "ad.png")
    printed = pipeline(issue_dir, ("pdf",)).lay_out()
    assert printed is not None and printed.data is not None
    pdf = pikepdf.open(io.BytesIO(printed.data))
    pages = len(pdf.pages)
    assert pages % 2 == 0
    width, height = (float(v) for v in pdf.pages[0].trimbox[2:])
    (half,) = _images_drawn(pdf.pages[1])  # drawn to cover its box, which clips it
    assert half[0] < 0.1 and half[2] > width - 0.1 and abs((half[1] + half[3]) / 2 - height / 4) < 1
    need("pdftoppm")
    png = subprocess.run(["pdftoppm", "-r", "10", "-f", "2", "-l", "2", "-png", "-"], input=printed.data,
                         capture_output=True, timeout=60).stdout
    shown = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = shown.size
    assert shown.getpixel((w // 2, h // 4)) == (255, 255, 255)  # the upper half empty
    assert shown.getpixel((w // 2, 3 * h // 4)) == shown.getpixel((2, h - 2)) != (255, 255, 255)  # the lower, to the edges
    (back,) = _images_drawn(pdf.pages[-1])
    assert back[0] < 0.1 and back[1] < 0.1 and back[2] > width - 0.1 and back[3] > height - 0.1
    with_pictures = [n + 1 for n, page in enumerate(pdf.pages) if _images_drawn(page)]
    assert with_pictures == [2, 5, pages]  # cover 1, half 2, contents 3, one 4, its advert 5 …
    for page in with_pictures:
        assert _page_text(printed.data, page).strip() == "", page
    assert [s.document for s in printed.starts if s.folio in with_pictures] == ["advert-2.xhtml", "advert-1.xhtml",
                                                                               "advert-3.xhtml"]


# ---------------------------------------------------------------------------- the advertiser isolated

OVERRIDE = "Alderport \u202eFerries"  # a right-to-left override in the name: it must end with the name


def _rendered(issue: Path, **options) -> dict[str, etree._Element]:
    rendered = pipeline(issue, ("epub", "html"), printed=False, **options).render()
    return {d.name: etree.fromstring(d.content) for d in rendered.documents if d.name.endswith((".xhtml", ".html"))}


def test_an_advertisers_bidi_override_is_isolated_in_the_link_the_caption_the_title_and_the_label(issue_dir: Path):
    _with_advert(issue_dir, ADVERT.replace("advertiser: Ann's Shop", f'advertiser: "{OVERRIDE}"'))
    documents = _rendered(issue_dir)
    page = documents["advert-1.xhtml"]
    link = page.find(".//x:a[@class='advert-link']", NS)
    (name,) = link.findall("x:bdi", NS)
    assert name.text == OVERRIDE and "".join(link.itertext()) == f"Visit {OVERRIDE}"
    assert page.find(".//x:bdi[@class='advert-advertiser']", NS).text == OVERRIDE
    assert page.find(".//x:title", NS).text == f"Advertisement: \u2068{OVERRIDE}\u2069"
    assert page.find(".//x:aside", NS).get("aria-label") == f"Advertisement: \u2068{OVERRIDE}\u2069"
    home = lxml.html.fromstring(pipeline(issue_dir, ("html",), printed=False).export()["html"]["index.html"])
    card = home.xpath("//figure[contains(@class, 'advert-card')]")[0]
    assert [b.text for b in card.xpath(".//bdi")] == [OVERRIDE, OVERRIDE]
    assert card.xpath(".//a/bdi")[0].text == OVERRIDE


def test_in_a_right_to_left_edition_the_advertiser_in_the_link_keeps_the_adverts_language(issue_dir: Path):
    _with_advert(issue_dir, ADVERT.replace("advertiser: Ann's Shop", f'advertiser: "{OVERRIDE}"'))
    page = _rendered(issue_dir, edition="ar")["advert-1.xhtml"]
    assert page.get("dir") == "rtl"
    name = page.find(".//x:a[@class='advert-link']/x:bdi", NS)
    assert (name.get("lang"), name.get("dir"), name.text) == ("en", "ltr", OVERRIDE)


def test_an_exif_rotated_advert_picture_has_the_width_and_height_of_the_upright_picture_written(issue_dir: Path):
    """A camera's JPEG lying on its side (EXIF orientation 6, 1650×1200) is written upright and
    fitted (1164×1600): the markup of the EPUB, KEPUB and web edition says that, not 1650×1200."""
    from PIL import Image

    _with_advert(issue_dir, ADVERT.replace("images/ad.png", "images/ad.jpg"))
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (1650, 1200), "#336699").save(issue_dir / "images" / "ad.jpg", exif=exif)
    files = pipeline(issue_dir, ("epub", "kepub", "html"), printed=False).export()
    for name in ("epub", "kepub"):
        with zipfile.ZipFile(io.BytesIO(files[name])) as book:
            page = etree.fromstring(book.read(next(n for n in book.namelist() if n.endswith("advert-1.xhtml"))))
            img = page.find(".//x:img", NS)
            written = Image.open(io.BytesIO(book.read(next(n for n in book.namelist() if n.endswith("advert-1.jpg")))))
            assert written.size[0] < written.size[1]  # upright
            assert (int(img.get("width")), int(img.get("height"))) == written.size, name
    home = lxml.html.fromstring(files["html"]["index.html"])
    (img,) = home.xpath("//figure[contains(@class, 'advert-card')]//img")
    written = Image.open(io.BytesIO(files["html"][img.get("src")]))
    assert (int(img.get("width")), int(img.get("height"))) == written.size


def test_an_advert_after_a_name_two_files_share_says_which_article_it_follows(issue_dir):
    """Two files named story.md in two folders are "story" and "story-2": an advert after
    "story" is after the first, and masthead says so (it chose in silence)."""
    for folder, title in (("news", "The news story"), ("arts", "The arts story")):
        (issue_dir / "articles" / folder).mkdir()
        (issue_dir / "articles" / folder / "story.md").write_text(f"---\ntitle: {title}\n---\n\nText.\n", "utf-8")
    yaml = (issue_dir / "issue.yaml").read_text("utf-8")
    (issue_dir / "issue.yaml").write_text(yaml + "      - articles/news/story.md\n      - articles/arts/story.md\n", "utf-8")
    _with_advert(issue_dir, ADVERT.replace("after: one", "after: story-2"))
    result = masthead("check", str(issue_dir))
    assert result.returncode == 0, result.stderr
    assert re.search(r"issue\.yaml:17:12: warning: 'after: story-2': 2 articles have the file name story\.md; this advert follows "
                     r"the one in arts/ \(story\.md in news/ is 'story'\)", result.stderr), result.stderr
    (issue_dir / "issue.yaml").write_text((issue_dir / "issue.yaml").read_text("utf-8").replace("after: story-2", "after: one"))
    plain = masthead("check", str(issue_dir))  # an advert after a name no other file has: not a word
    assert plain.returncode == 0 and "file name" not in plain.stderr, plain.stderr


def test_a_page_of_an_advert_in_print_only_is_in_the_epubs_page_list(issue_dir, tmp_path):
    """Its page has no EPUB document: its number still leads somewhere (the next article's
    start, as a blank page's does), so "go to page N" finds every printed page."""
    _with_advert(issue_dir, ADVERT + "    epub: false\n    web: false\n")
    outputs = build_folder(issue_dir, tmp_path / "out")
    pages = len(pikepdf.open(outputs["pdf"]).pages)
    with zipfile.ZipFile(outputs["epub"]) as z:
        nav = etree.fromstring(z.read(next(n for n in z.namelist() if n.endswith("nav.xhtml"))))
        assert not [n for n in z.namelist() if "advert" in n]  # no advert in the EPUB
    listed = [int(a.text) for a in nav.iterfind(".//{*}nav[@{http://www.idpf.org/2007/ops}type='page-list']//{*}a")]
    assert listed == list(range(1, pages + 1)), listed
