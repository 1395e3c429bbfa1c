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
    assert len(figures) == 2 and all(len(e.get("/Alt", "")) > 20 for e in figures)
