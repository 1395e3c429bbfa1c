"""The manifest's pdf: options, checked in the PDF: page boxes, marks, columns, variants."""

from __future__ import annotations

import re
import subprocess

import pypdf
import pytest

from helpers import build_folder, need

MM = 72 / 25.4


def build_with(issue_dir, tmp_path, pdf_yaml: str):
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + pdf_yaml)
    return build_folder(issue_dir, tmp_path / "out", "pdf")["pdf"]


def boxes(path) -> dict[str, tuple[float, ...]]:
    need("pdfinfo")
    out = subprocess.run(["pdfinfo", "-box", "-f", "2", "-l", "2", str(path)], capture_output=True, text=True, check=True).stdout
    found = {}
    for name, values in re.findall(r"^Page\s+2\s+(\w+):\s+([-\d.\s]+)$", out, re.M):
        found[name] = tuple(float(v) for v in values.split())
    return found


def test_letter_page_size(issue_dir, tmp_path):
    pdf = build_with(issue_dir, tmp_path, "pdf:\n  page_size: Letter\n")
    for page in pypdf.PdfReader(pdf).pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((612, 792), abs=0.1)


@pytest.mark.parametrize("name", ["Tabloid", "Ledger"])
def test_tabloid_and_ledger_are_eleven_by_seventeen_inches(issue_dir, tmp_path, name):
    """CSS has no Tabloid: WeasyPrint ignored the name and set A4. Ledger is 11 × 17 in, upright."""
    pdf = build_with(issue_dir, tmp_path, f"pdf:\n  page_size: {name}\n")
    for page in pypdf.PdfReader(pdf).pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((792, 1224), abs=0.1)


def test_a_page_size_of_zero_is_an_error_at_its_line(issue_dir, tmp_path):
    from helpers import masthead

    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + "pdf:\n  page_size: 0 297mm\n")
    result = masthead("build", str(issue_dir), "-o", str(tmp_path / "out"), "-f", "pdf")
    assert result.returncode == 1 and "Traceback" not in result.stderr and not (tmp_path / "out").exists()
    line = len(manifest.read_text().splitlines())
    assert f"issue.yaml:{line}:" in result.stderr and "makes one of them 0" in result.stderr, result.stderr


@pytest.mark.parametrize("size", ["0.001mm 0.001mm", "49mm 297mm", "2in 1in"])
def test_a_page_too_small_to_set_is_an_error_at_its_line(issue_dir, tmp_path, size):
    """A page of 0.001 mm passed the zero check and made print images of 0 pixels: a side
    under 50 mm leaves no room for margins and a column, and is refused where it is written."""
    from helpers import masthead

    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + f"pdf:\n  page_size: {size}\n")
    result = masthead("check", str(issue_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    line = len(manifest.read_text().splitlines())
    assert re.search(rf"issue.yaml:{line}:14: '{size}' is [\d.]+ × [\d.]+ mm: a page needs at least 50 mm",
                     result.stdout + result.stderr), result.stdout + result.stderr


def test_custom_page_size_and_one_column(issue_dir, tmp_path):
    pdf = build_with(issue_dir, tmp_path, "pdf:\n  page_size: 170mm 240mm\n  columns: 1\n  margins: 15mm\n")
    page = pypdf.PdfReader(pdf).pages[1]
    assert float(page.mediabox.width) == pytest.approx(170 * MM, abs=0.2)
    assert float(page.mediabox.height) == pytest.approx(240 * MM, abs=0.2)


def corner_ink(pdf, tmp_path) -> int:
    """Dark pixels in the top-left 3 mm outside the trim of page 2, where crop marks go."""
    need("pdftoppm")
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "300", "-f", "2", "-l", "2", "-png", "-x", "0", "-y", "0", "-W", "35", "-H", "35",
                    str(pdf), str(tmp_path / "corner")], check=True)
    (png,) = tmp_path.glob("corner*.png")
    with Image.open(png) as image:
        gray = image.convert("L")
        return sum(1 for x in range(gray.width) for y in range(gray.height) if gray.getpixel((x, y)) < 128)


@pytest.mark.parametrize("marks", [True, False])
def test_bleed_grows_the_media_box_three_millimetres_around_the_trim_box(issue_dir, tmp_path, marks):
    pdf = build_with(issue_dir, tmp_path, f"pdf:\n  bleed: 3mm\n  crop_marks: {str(marks).lower()}\n")
    found = boxes(pdf)
    media, trim, bleed = found["MediaBox"], found["TrimBox"], found["BleedBox"]
    assert trim[2] - trim[0] == pytest.approx(595.28, abs=0.2)  # the A4 page itself
    for side in range(4):
        assert abs(media[side] - trim[side]) == pytest.approx(3 * MM, abs=0.1)
    assert bleed == media
    assert (corner_ink(pdf, tmp_path) > 0) == marks


@pytest.mark.parametrize("variant,marker", [
    ("pdf/ua-1", b"pdfuaid"),
    ("pdf/a-3b", b"pdfaid"),
    ("pdf/x-4", b"GTS_PDFX"),
])
def test_variants(issue_dir, tmp_path, variant, marker):
    pdf = build_with(issue_dir, tmp_path, f"pdf:\n  variant: {variant}\n")
    reader = pypdf.PdfReader(pdf)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert marker in xmp or marker in pdf.read_bytes()
    assert reader.metadata.title  # still a readable PDF with its metadata


def test_footnotes_sit_at_the_foot_of_their_page(sample_build):
    need("pdftotext")
    reader = pypdf.PdfReader(sample_build["pdf"])
    found = 0
    for number in range(1, len(reader.pages) + 1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(sample_build["pdf"]), "-"],
                              capture_output=True, text=True, check=True).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        notes = [i for i, line in enumerate(lines) if re.match(r"^1\. \S", line)]
        if notes:
            assert notes[0] > len(lines) * 0.6, f"a note high up on page {number}"
            found += 1
    assert found >= 3  # three articles have notes


def struct_elements(reader) -> list[dict]:
    found = []

    def walk(kid, depth=0):
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, list):
            for item in kid:
                walk(item, depth + 1)
        elif isinstance(kid, dict) and "/S" in kid and depth < 200:
            found.append(kid)
            if "/K" in kid:
                walk(kid["/K"], depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"].get_object()["/K"])
    return found


def test_pdf_ua_1_structure(tmp_path):
    """The sample as PDF/UA-1: marked, tagged, language and title shown, figures with alt text,
    headings and tables as structure, links tagged."""

    from helpers import copy_sample

    issue = tmp_path / "ua"
    copy_sample(issue)
    manifest = issue / "issue.yaml"
    manifest.write_text(manifest.read_text().replace("pdf:\n  page_size: A4\n", "pdf:\n  page_size: A4\n  variant: pdf/ua-1\n"))
    reader = pypdf.PdfReader(build_folder(issue, tmp_path / "out", "pdf")["pdf"])
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    elements = struct_elements(reader)
    kinds = {e["/S"] for e in elements}
    assert {"/H1", "/H2", "/P", "/Table", "/TH", "/L", "/LI", "/Link", "/Figure", "/Caption"} <= kinds
    figures = [e for e in elements if e["/S"] == "/Figure"]
    # the two articles' pictures and the two adverts' (page 10 and the inside back cover)
    assert len(figures) == 4 and all(len(e.get("/Alt", "")) > 20 for e in figures)


# ---------------------------------------------------------------------------- color: cmyk


def _colour_spaces(pdf) -> tuple[set[str], set[str]]:
    """(the colour operators and spaces set in every page's content, the images' colour spaces)."""
    import pikepdf

    operators, spaces = set(), set()

    def walk(content, resources) -> None:  # a page, and the forms it draws
        for instruction in pikepdf.parse_content_stream(content):
            name = str(instruction.operator)
            if name in ("rg", "RG", "k", "K", "g", "G"):
                operators.add(name)
            elif name in ("cs", "CS"):
                operators.add(f"{name} {instruction.operands[0]}")
            elif name == "Do":
                xobject = resources.XObject[str(instruction.operands[0])]
                if xobject.Subtype == "/Form":
                    walk(xobject, xobject.get("/Resources", resources))
                else:
                    space = xobject.get("/ColorSpace")
                    spaces.add(str(space[0] if isinstance(space, pikepdf.Array) else space))

    for page in pdf.pages:
        walk(page, page.Resources)
    return operators, spaces


def test_a_cmyk_build_has_no_rgb_and_carries_the_bundled_output_intent(sample_cmyk_build):
    """The sample for a press: every colour set in DeviceCMYK (or grey), both images CMYK
    (pdfimages says so too), a PDF/X-4 whose OutputIntent's DestOutputProfile is the bundled
    profile byte for byte (mutool shows it), and a TrimBox 3 mm inside the BleedBox."""
    import uuid

    import pikepdf

    from helpers import pipeline
    from masthead.runtime import icc

    issue, path = sample_cmyk_build
    with pikepdf.open(path) as pdf:
        operators, spaces = _colour_spaces(pdf)
        assert operators <= {"cs /DeviceCMYK", "CS /DeviceCMYK", "k", "K", "g", "G"} and "cs /DeviceCMYK" in operators, operators
        assert spaces == {"/DeviceCMYK"}
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and intent.DestOutputProfile.read_bytes() == icc.bundled()
        assert str(intent.OutputConditionIdentifier) == "masthead CMYK (FOGRA39L, coated offset)"
        xmp = pdf.Root.Metadata.read_bytes()
        assert b"pdfxid:GTS_PDFXVersion>PDF/X-4" in xmp
        # WeasyPrint draws the PDF/X DocumentID from uuid4 at each write: here it is the issue's own
        identifier = pipeline(issue, ("pdf",)).load().meta.identifier
        assert f"<xmpMM:DocumentID>xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, identifier)}<".encode() in xmp
        page = pdf.pages[1]
        trim, bleed = ([float(v) for v in page.obj[box]] for box in ("/TrimBox", "/BleedBox"))
        assert trim[0] - bleed[0] == pytest.approx(3 * MM, abs=0.05)
    listed = subprocess.run([need("pdfimages"), "-list", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listed.splitlines()[2:]]
    # the articles' pictures, then the adverts' (page 10, and 21: the inside back cover)
    assert [(row[0], row[5]) for row in rows] == [("5", "cmyk"), ("7", "cmyk"), ("10", "cmyk"), ("21", "cmyk")], listed
    shown = subprocess.run([need("mutool"), "show", str(path), "trailer/Root/OutputIntents"], capture_output=True,
                           text=True, check=True).stdout
    assert "/S /GTS_PDFX" in shown and "/DestOutputProfile" in shown


def test_a_cmyk_page_looks_as_the_rgb_one_does(sample_cmyk_build, sample_build, tmp_path):
    """Rendered by poppler, the CMYK cover keeps its red masthead and the harbour picture its
    night (an inverted CMYK JPEG would show a cyan masthead and a pale sky): the pages' mean
    colours stay within a few levels of the RGB build's."""
    from PIL import Image, ImageStat

    _, cmyk = sample_cmyk_build
    means = {}
    for name, path in (("rgb", sample_build["pdf"]), ("cmyk", cmyk)):
        for page in (1, 7):
            out = tmp_path / f"{name}-{page}"
            subprocess.run([need("pdftoppm"), "-r", "30", "-f", str(page), "-l", str(page), "-cropbox", "-png",
                            "-singlefile", str(path), str(out)], check=True)
            with Image.open(f"{out}.png") as image:
                rgb = image.convert("RGB")
                means[name, page] = ImageStat.Stat(rgb).mean
                if page == 1:  # the masthead band at the top of the cover
                    means[name, "band"] = rgb.getpixel((rgb.width // 2, rgb.height // 20))
    red, green, blue = means["cmyk", "band"]
    assert red > 150 and green < 90 and blue < 90, means
    for page in (1, 7):
        assert means["cmyk", page] == pytest.approx(means["rgb", page], abs=12), means


def test_the_theme_colours_become_device_cmyk_and_greys_black_ink_alone():
    from masthead.render import press
    from masthead.runtime import icc

    to_cmyk = press.cmyk_converter(icc.bundled())
    css = ("a{color:#808080;border:1px solid #d13b2b;font-family:Tomato}\n"
           "@page{@top-left{color:#555;content:string(x)}}\n@media print{p{background:rgba(0,0,0,.5)}}\n"
           "em{color:currentColor;background:transparent}")
    out = press.cmyk_css(css, to_cmyk)
    assert "color:device-cmyk(0 0 0 0.498)" in out
    assert "color:device-cmyk(0 0 0 0.667)" in out and "content:string(x)" in out
    assert "background:device-cmyk(0 0 0 1 / 0.5)" in out
    assert "font-family:Tomato" in out and "color:currentColor" in out and "background:transparent" in out
    red = to_cmyk(209 / 255, 59 / 255, 43 / 255)
    assert red[0] < 0.05 and red[1] > 0.8 and red[2] > 0.7 and red[3] < 0.2, red
    assert "#" not in out and "rgb" not in out


def test_a_given_output_intent_is_the_one_the_pdf_reads(issue_dir):
    from helpers import pipeline
    from masthead.runtime import icc

    (issue_dir / "press").mkdir()
    (issue_dir / "press" / "coated.icc").write_bytes(icc.bundled())
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + "pdf:\n  color: cmyk\n  output_intent: press/coated.icc\n")
    rendered = pipeline(issue_dir, ("pdf",)).render()
    (profile,) = [r for r in rendered.resources if r.name == "output-intent.icc"]
    assert profile.data == icc.bundled() and profile.targets == frozenset({"pdf"})
    css = {r.name: r.data for r in rendered.resources if r.media_type == "text/css" and "pdf" in r.targets}
    assert b"device-cmyk(0 0.878 0.757 0.275)" in css["css/print.css"] and b"#b22222" not in css["css/print.css"]
    assert b"solid device-cmyk(0 0.831 0.769 0.137)" in css["css/common.css"] and b"solid #d13b2b" not in css["css/common.css"]
    epub = {r.name: r.data for r in rendered.resources if r.media_type == "text/css" and "epub" in r.targets}
    assert b"solid #d13b2b" in epub["css/common.css"]  # the EPUB keeps the theme's colours as written


def _damaged_cmyk_profile() -> bytes:
    """The bundled CMYK profile with every tag's offset beyond its end: its header says CMYK
    output, but LittleCMS can convert nothing into it (an attack's: an internal error before)."""
    from masthead.runtime import icc

    data = bytearray(icc.bundled())
    for n in range(int.from_bytes(data[128:132], "big")):
        data[132 + 12 * n + 4:132 + 12 * n + 8] = (0xFFFFFF00).to_bytes(4, "big")
    return bytes(data)


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize("pdf_yaml,file,message", [
    ("pdf:\n  color: cmyk\n  output_intent: screen.icc\n", _srgb_profile,
     "output_intent: 'screen.icc' is an ICC profile of colour space RGB, not CMYK"),
    ("pdf:\n  color: cmyk\n  output_intent: press.icc\n", lambda: b"not a profile at all" * 10,
     "output_intent: 'press.icc' is not an ICC profile"),
    ("pdf:\n  color: cmyk\n  output_intent: press.icc\n", _damaged_cmyk_profile, "output_intent: 'press.icc' is "),
    ("pdf:\n  color: cmyk\n  output_intent: ../press.icc\n", None, "outside the issue folder"),
    ("pdf:\n  output_intent: press.icc\n", lambda: b"", "add 'color: cmyk', or leave it out"),
    ("pdf:\n  variant: pdf/a-2b\n  color: cmyk\n", None, "a CMYK print edition is written as PDF/X"),
    ("pdf:\n  color: CMYK\n", None, "'color' must be rgb or cmyk"),
])
def test_a_bad_output_intent_is_an_error_at_its_line_and_nothing_is_written(issue_dir, tmp_path, pdf_yaml, file, message):
    from helpers import masthead

    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + pdf_yaml)
    if file is not None:
        name = pdf_yaml.split("output_intent: ")[1].split("\n")[0]
        (issue_dir / name).write_bytes(file())
    result = masthead("build", str(issue_dir), "-o", str(tmp_path / "out"), "-f", "pdf")
    assert result.returncode == 1 and "Traceback" not in result.stderr and not (tmp_path / "out").exists()
    lines = manifest.read_text().splitlines()
    key = "variant" if "variant" in message or "PDF/X" in message else "color" if "'color'" in message else "output_intent"
    line = next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"{key}:"))
    assert f"issue.yaml:{line}:" in result.stderr and message in result.stderr, result.stderr


def test_an_svg_picture_in_a_cmyk_build_is_drawn_in_cmyk(issue_dir, tmp_path):
    """A chart's fills, strokes and style attributes, and SVG's default black fill, become
    DeviceCMYK; so does its gradient (WeasyPrint 70 alone wrote its sRGB values into DeviceCMYK,
    three where four are read, and poppler drew nothing): preflight finds nothing RGB and no
    gradient that does not fit its colour space, and the gradient's middle is orange on the page."""
    import pikepdf

    from masthead.tools.preflight import Job, check_pdf

    (issue_dir / "articles" / "chart.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><style>.bar{fill:#1f3a93}</style>'
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#ff0"/><stop offset="1" stop-color="red"/>'
        '</linearGradient></defs><rect class="bar" width="50" height="80"/><rect x="60" width="50" height="60" '
        'fill="url(#g)" stroke="rgb(0,128,0)" style="stroke-width:3"/><circle cx="150" cy="50" r="20"/></svg>',
        encoding="utf-8")
    one = issue_dir / "articles" / "one.md"
    one.write_text(one.read_text() + "\n![A chart](chart.svg)\n")
    pdf_path = build_with(issue_dir, tmp_path, "pdf:\n  color: cmyk\n  bleed: 3mm\n")
    data = pdf_path.read_bytes()
    assert [f.line() for f in check_pdf(data, Job(cmyk=True, bleed_pt=3 * MM)) if f.check in ("rgb", "shading")] == []
    with pikepdf.open(pdf_path) as pdf:
        operators, _ = _colour_spaces(pdf)
        shadings = {str(o.ColorSpace) for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/ShadingType" in o}
    assert operators <= {"cs /DeviceCMYK", "CS /DeviceCMYK", "k", "K", "g", "G", "cs /Pattern"}, operators
    assert shadings == {"/DeviceCMYK"}, shadings
    subprocess.run([need("pdftoppm"), "-r", "72", "-f", "3", "-l", "3", "-png", "-singlefile", str(pdf_path),
                    str(tmp_path / "page")], check=True)
    from PIL import Image

    with Image.open(tmp_path / "page.png") as page:
        pixels = list(page.convert("RGB").get_flattened_data())
    oranges = [p for p in pixels if p[0] > 200 and 80 < p[1] < 200 and p[2] < 90]  # between the yellow and the red
    assert len(oranges) > 50, len(oranges)


def test_crop_marks_in_a_cmyk_job_are_drawn_in_registration_ink_outside_the_trim(issue_dir, tmp_path):
    """WeasyPrint 70 strokes its crop and cross marks in RGB black: preflight found RGB in every
    page of a CMYK job with marks. They are drawn in all four inks (registration), as a press's
    marks are, still in the bleed outside the trim, where the corner shows them."""
    import pikepdf

    from masthead.tools.preflight import Job, check_pdf

    pdf = build_with(issue_dir, tmp_path, "pdf:\n  color: cmyk\n  bleed: 3mm\n  crop_marks: true\n")
    findings = check_pdf(pdf.read_bytes(), Job(cmyk=True, bleed_pt=3 * MM, variant="pdf/x-4"))
    assert [f.line() for f in findings if f.severity == "error"] == []
    with pikepdf.open(pdf) as opened:
        operators, _ = _colour_spaces(opened)
    assert not operators & {"rg", "RG", "cs /DeviceRGB", "CS /DeviceRGB"}, operators
    assert corner_ink(pdf, tmp_path) > 20
