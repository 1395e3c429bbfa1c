"""The flatplan: labels from the rendered issue, and the PNG sheet of spreads drawn from the PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from helpers import pipeline

pdfium = pytest.importorskip("pypdfium2")

from PIL import Image, ImageStat  # noqa: E402

from masthead.layout import pdf  # noqa: E402
from masthead.render import theme  # noqa: E402
from masthead.tools import flatplan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LANTERN = ROOT / "issues" / "lantern-2025-11-28"
AL_FANAR = ROOT / "issues" / "al-fanar-2025-11-28"
RED = (178, 34, 34)  # the cover's masthead band
THUMB = 160


def _build(folder: Path):
    run = pipeline(folder, ("pdf",))
    printed = run.lay_out()
    return run.render(), printed.data, printed.starts


@pytest.fixture(scope="module")
def lantern():
    return _build(LANTERN)


@pytest.fixture(scope="module")
def al_fanar():
    return _build(AL_FANAR)


def _page_count(data: bytes) -> int:
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def _first_pages(data: bytes, count: int) -> bytes:
    source = pdfium.PdfDocument(data)
    target = pdfium.PdfDocument.new()
    try:
        target.import_pages(source, list(range(count)))
        out = io.BytesIO()
        target.save(out)
        return out.getvalue()
    finally:
        target.close()
        source.close()


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _reds(image: Image.Image, box) -> int:
    """How many pixels in ``box`` are the masthead's red."""
    data = image.crop(box).tobytes()  # RGB, a byte a channel
    return sum(1 for i in range(0, len(data), 3)
               if abs(data[i] - RED[0]) < 30 and abs(data[i + 1] - RED[1]) < 30 and abs(data[i + 2] - RED[2]) < 30)


def _slots(rtl: bool = False):
    """The boxes of the first spread's left and right page tops (no title: the row starts at MARGIN)."""
    top, bottom = flatplan.MARGIN, flatplan.MARGIN + THUMB  # a page is taller than it is wide
    left = (flatplan.MARGIN, top, flatplan.MARGIN + THUMB, bottom)
    right = (flatplan.MARGIN + THUMB, top, flatplan.MARGIN + 2 * THUMB, bottom)
    return left, right


# ---------------------------------------------------------------------------- labels


def test_one_label_per_page(lantern):
    rendered, data, starts = lantern
    labels = flatplan.labels(rendered, starts)
    assert len(labels) == _page_count(data)
    assert labels[0] == "Cover"
    assert labels[1] == "Contents"


def test_an_article_is_labelled_with_its_section_and_headline(lantern):
    rendered, _, starts = lantern
    labels = flatplan.labels(rendered, starts)
    first = min(s.folio for s in starts if s.document == "night-shift.xhtml")
    assert "Between last orders and first light" in labels[first - 1]
    assert labels[first - 1] == "Features · Between last orders and first light"
    # every page the article fills carries it, not the next article's name
    assert all(labels[s.folio - 1] == labels[first - 1] for s in starts if s.document == "night-shift.xhtml")


def test_a_page_without_a_start_continues_the_page_before(lantern):
    rendered, _, _ = lantern
    starts = [pdf.PageStart(1, "cover.xhtml", ""), pdf.PageStart(3, "last-bus.xhtml", "")]
    assert flatplan.labels(rendered, starts) == ["Cover", "Cover", "Briefing · The four o’clock bus"]
    assert flatplan.labels(rendered, []) == []


def test_labels_of_an_arabic_issue(al_fanar):
    rendered, data, starts = al_fanar
    labels = flatplan.labels(rendered, starts, cover="الغلاف", contents="المحتويات")
    assert len(labels) == _page_count(data)
    assert labels[:2] == ["الغلاف", "المحتويات"]
    assert labels[2] == "مقالات · الميناء لا ينام"
    assert labels[-1] == "ثقافة · In praise of the small hours"


# ---------------------------------------------------------------------------- the sheet


def test_the_sheet_is_columns_spreads_wide(lantern):
    rendered, data, starts = lantern
    labels = flatplan.labels(rendered, starts)
    widths = {}
    for columns in (2, 3, 4):
        image = _image(flatplan.draw(data, labels, columns=columns, thumb_width=THUMB))
        widths[columns] = image.width
        assert image.width == 2 * flatplan.MARGIN + columns * 2 * THUMB + (columns - 1) * flatplan.GAP
    assert widths[4] - widths[3] == widths[3] - widths[2] == 2 * THUMB + flatplan.GAP
    wider = _image(flatplan.draw(data, labels, columns=2, thumb_width=200))
    assert wider.width - widths[2] == 2 * 2 * (200 - THUMB)


def test_the_sheet_grows_with_the_pages(lantern):
    rendered, data, starts = lantern
    labels = flatplan.labels(rendered, starts)
    short = _image(flatplan.draw(_first_pages(data, 2), labels[:2], columns=4))  # 2 spreads: 1 row
    long = _image(flatplan.draw(data, labels, columns=4))  # 19 pages, 10 spreads: 3 rows
    assert short.width == long.width
    assert long.height > 2.5 * short.height
    one_column = _image(flatplan.draw(_first_pages(data, 2), labels[:2], columns=1))  # 2 rows
    assert one_column.height > 1.8 * short.height


def test_thumbnails_are_the_pages(lantern):
    rendered, data, starts = lantern
    labels = flatplan.labels(rendered, starts)
    image = _image(flatplan.draw(data, labels, thumb_width=THUMB))
    left, right = _slots()
    background = image.getpixel((5, 5))
    assert background == flatplan.BACKGROUND
    # the blank opposite the cover is background, the cover is not
    assert ImageStat.Stat(image.crop(left)).stddev == [0.0, 0.0, 0.0]
    assert _reds(image, right) > 0.05 * THUMB * THUMB
    # the second spread (pages 2 and 3): white paper with dark type on it
    x = flatplan.MARGIN + 2 * THUMB + flatplan.GAP
    for page in ((x + 4, flatplan.MARGIN + 4, x + THUMB - 4, flatplan.MARGIN + THUMB),
                 (x + THUMB + 4, flatplan.MARGIN + 4, x + 2 * THUMB - 4, flatplan.MARGIN + THUMB)):
        region = image.crop(page).convert("L")
        pixels = region.tobytes()  # a byte a pixel
        assert sum(p > 240 for p in pixels) > 0.5 * len(pixels)  # mostly paper
        assert sum(p < 200 for p in pixels) > 0.03 * len(pixels)  # and type, grey at this size
        assert max(ImageStat.Stat(region).stddev) > 10


def test_a_title_line_on_top(lantern):
    rendered, data, starts = lantern
    labels = flatplan.labels(rendered, starts)
    plain = _image(flatplan.draw(data, labels))
    titled = _image(flatplan.draw(data, labels, title="The Lantern — The Night Shift Issue"))
    assert titled.height > plain.height
    strip = titled.crop((0, 0, titled.width, titled.height - plain.height)).convert("L")
    assert strip.getextrema()[0] < 100  # the title is in it


def test_rtl_mirrors_the_spreads(al_fanar):
    rendered, data, starts = al_fanar
    labels = flatplan.labels(rendered, starts)
    left, right = _slots()
    rtl = _image(flatplan.draw(data, labels, rtl=True, thumb_width=THUMB, title=""))
    ltr = _image(flatplan.draw(data, labels, rtl=False, thumb_width=THUMB))
    assert _reds(rtl, left) > 0.05 * THUMB * THUMB and _reds(rtl, right) == 0
    assert _reds(ltr, right) > 0.05 * THUMB * THUMB and _reds(ltr, left) == 0
    # the band is the cover's: the rest of the first row has at most a red word or two
    first_row = (0, flatplan.MARGIN, rtl.width, flatplan.MARGIN + THUMB)
    assert _reds(rtl, left) > 0.9 * _reds(rtl, first_row)
    assert _reds(ltr, right) > 0.9 * _reds(ltr, first_row)
    titled = _image(flatplan.draw(data, labels, rtl=True, title="الفنار — عدد الليل"))
    assert titled.height > rtl.height


def test_spread_order():
    assert flatplan._spreads(5, rtl=False) == [(None, 1), (2, 3), (4, 5)]
    assert flatplan._spreads(6, rtl=False) == [(None, 1), (2, 3), (4, 5), (6, None)]
    assert flatplan._spreads(5, rtl=True) == [(1, None), (3, 2), (5, 4)]
    assert flatplan._spreads(4, rtl=True) == [(1, None), (3, 2), (None, 4)]
    assert flatplan._spreads(0, rtl=False) == []


def test_mixed_labels_are_set_in_visual_order_with_both_fonts():
    fonts = flatplan._Fonts(None)
    rtl, runs = flatplan._runs(fonts, "ثقافة · In praise of the small hours", default_rtl=False)
    assert rtl
    assert runs[0] == ("In praise of the small hours", "latin", False)  # leftmost
    assert runs[-1][1] == "arabic" and runs[-1][0].strip() == "ثقافة" and runs[-1][2]  # rightmost
    assert any(text == "·" and face == "latin" for text, face, _ in runs)  # Naskh has no middle dot
    rtl, runs = flatplan._runs(fonts, "Culture · مدينةٌ لا تنام تمامًا", default_rtl=True)
    assert not rtl
    assert runs[0][0].startswith("Culture") and runs[-1] == ("مدينةٌ لا تنام تمامًا", "arabic", True)


def test_arabic_is_shaped():
    from PIL import features

    if not features.check("raqm"):
        pytest.skip("Pillow is built without libraqm")
    fonts = flatplan._Fonts(None)
    font = fonts.get("arabic", 40)
    word = "مدينة"
    # joined letters are narrower than the same letters set one by one in their isolated forms
    isolated = sum(font.getlength(c, direction="rtl") for c in word)
    assert font.getlength(word, direction="rtl") < isolated


def test_long_labels_are_cut_to_the_page(lantern):
    fonts = flatplan._Fonts(None)
    text = "Features · " + "A very long headline " * 6
    fitted = flatplan._fit(fonts, text, 11, 150, False)
    assert fitted.endswith("…") and len(fitted) < len(text)
    assert flatplan._width(fonts, fitted, 11, False) <= 150
    assert flatplan._fit(fonts, "Cover", 11, 150, False) == "Cover"


def test_a_font_path_is_used(lantern, tmp_path):
    rendered, data, starts = lantern
    serif = theme.builtin_root() / "default" / "fonts" / "NotoSerif-Regular.ttf"
    labels = flatplan.labels(rendered, starts)
    sans = flatplan.draw(data[:], labels, title="The Lantern")
    with_serif = flatplan.draw(data, labels, title="The Lantern", font=serif)
    assert _image(sans).size == _image(with_serif).size and sans != with_serif
    with pytest.raises(OSError):
        flatplan.draw(data, labels, font=tmp_path / "missing.ttf")


def test_flatplan_command_writes_a_png(tmp_path):
    import subprocess
    import sys

    from PIL import Image

    out = tmp_path / "plan.png"
    result = subprocess.run([sys.executable, "-m", "masthead", "flatplan", str(LANTERN), "-o", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "pages" in result.stdout
    with Image.open(out) as image:
        assert image.width > 1000 and image.height > 500


def test_a_last_page_that_holds_only_a_picture_is_counted(tmp_path):
    """Issue 20: the flatplan said 5 pages where the PDF had 7 (an SVG lead image and figures:
    the last pages hold a picture and no text, so no page start was found on them)."""
    import subprocess
    import sys

    import pypdf

    issue = tmp_path / "issue"
    (issue / "articles").mkdir(parents=True)
    (issue / "articles" / "big.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="560">'
                                                 '<rect width="400" height="560" fill="#b22222"/></svg>')
    (issue / "issue.yaml").write_text("publication: Test Mag\ndate: 2025-11-28\nlanguage: en\narticles: [articles/a.md]\n"
                                      "pdf:\n  columns: 1\n")
    figures = "\n\n".join(["![A red field](big.svg)"] * 3)
    (issue / "articles" / "a.md").write_text(f"---\ntitle: Hello\nimage: {{src: big.svg, alt: A red field}}\n---\n"
                                             f"Some text here.\n\n{figures}\n")
    run = [sys.executable, "-m", "masthead"]
    built = subprocess.run([*run, "build", str(issue), "-o", str(tmp_path / "out"), "-f", "pdf"], capture_output=True,
                           text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    pages = len(pypdf.PdfReader(tmp_path / "out" / "issue.pdf").pages)
    plan = subprocess.run([*run, "flatplan", str(issue), "-o", str(tmp_path / "plan.png")], capture_output=True,
                          text=True, timeout=120)
    assert plan.returncode == 0, plan.stderr
    assert pages > 5 and plan.stdout.split()[-2:] == [str(pages), "pages"], (pages, plan.stdout)
