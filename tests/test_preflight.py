"""`masthead preflight`: what it finds in the samples' PDFs, and in a PDF made to fail every check."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest

from helpers import ROOT, SAMPLE, masthead, pipeline

MM = 72 / 25.4
HARBOUR = ("the image of 2000×1300 px prints at 289 ppi over 176 × 114 mm: under the 300 ppi a press expects")


def crafted(path: Path) -> Path:
    """A two-page PDF with one of each fault: a 72-ppi RGB image, a 0.1 pt line, a spot colour,
    an RGB fill, 50 % opacity, a font not embedded, no TrimBox (page 1), a 1 mm bleed (page 2)."""
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, bytes(72 * 72 * 3))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 72, 72, 8
    image.ColorSpace = pikepdf.Name.DeviceRGB
    tint = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[0, 1, 0.8, 0], N=1)
    spot = pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name("/PANTONE185C"), pikepdf.Name.DeviceCMYK, tint])
    resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Im0=image),
        ColorSpace=pikepdf.Dictionary(CS0=spot),
        ExtGState=pikepdf.Dictionary(GS0=pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0.5)),
        Font=pikepdf.Dictionary(F1=pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                      BaseFont=pikepdf.Name.Helvetica)),
    )
    content = (b"q 72 0 0 72 100 600 cm /Im0 Do Q\n"  # 72 px over 72 pt: 72 ppi
               b"q 2 0 0 2 0 0 cm 0.05 w 50 250 m 150 250 l S Q\n"  # 0.05 at twice the scale: 0.1 pt
               b"1 w 100 450 m 300 450 l S\n"  # a line of 1 pt: no finding
               b"/CS0 cs 1 scn 100 100 50 50 re f\n"
               b"1 0 0 rg /GS0 gs 200 100 50 50 re f\n"
               b"BT /F1 12 Tf 100 400 Td (Hi) Tj ET\n")
    for number in range(2):
        page = pdf.add_blank_page(page_size=(595 + 17, 842 + 17))
        page.Resources = resources
        page.Contents = pdf.make_stream(content)
        if number == 1:  # trimmed at 8.5 pt (3 mm), but the bleed box reaches only 1 mm beyond
            page.TrimBox = [8.5, 8.5, 603.5, 850.5]
            page.BleedBox = [8.5 - MM, 8.5 - MM, 603.5 + MM, 850.5 + MM]
    pdf.save(path)
    return path


def test_a_crafted_pdf_fails_every_check_of_a_pdf_x_1a_cmyk_job(tmp_path):
    from masthead.tools.preflight import Job, check_pdf

    findings = check_pdf(crafted(tmp_path / "bad.pdf").read_bytes(), Job(cmyk=True, bleed_pt=3 * MM, variant="pdf/x-1a"))
    lines = [f.line() for f in findings]
    expected = [
        "page 1: error: no TrimBox: the press cannot tell where the page is cut",
        "pages 1-2: error: colours set in RGB (rg) in a CMYK job",
        "pages 1-2: error: font Helvetica is not embedded: the press would set the text in another font",
        "pages 1-2: error: the image of 72×72 px is RGB (DeviceRGB) in a CMYK job",
        "pages 1-2: error: the image of 72×72 px prints at 72 ppi over 25 × 25 mm: under 150 ppi it prints blurred and jagged",
        "pages 1-2: error: transparency (ca 0.5), which PDF/X-1a forbids",
        "page 2: error: the bleed is 1.0 mm, not the 3.0 mm the manifest asks for",
        "pages 1-2: warning: a line stroked 0.1 pt wide, under 0.25 pt: it may break up or vanish on the plate",
        "pages 1-2: warning: spot colour PANTONE185C (Separation, colour space /CS0): it prints on a plate of its own; "
        "check the press expects it",
    ]
    assert sorted(lines) == sorted(expected), "\n".join(lines)
    assert [f.severity for f in findings] == sorted((f.severity for f in findings), key=lambda s: s != "error")


def test_what_preflight_finds_depends_on_the_job(tmp_path):
    """In an RGB job without a PDF/X variant, RGB and transparency are no faults and a missing
    TrimBox is a warning; resolution, fonts, hairlines and spot colours are found in any job."""
    from masthead.tools.preflight import Job, check_pdf

    findings = check_pdf(crafted(tmp_path / "bad.pdf").read_bytes(), Job())
    checks = {(f.check, f.severity) for f in findings}
    assert checks == {("boxes", "warning"), ("fonts", "error"), ("resolution", "error"), ("hairline", "warning"),
                      ("spot", "warning")}, findings


def test_a_300_ppi_image_a_quarter_point_line_and_a_3_mm_bleed_are_not_findings(tmp_path):
    from masthead.tools.preflight import Job, check_pdf

    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, bytes(300 * 300))
    image.Type, image.Subtype, image.Width, image.Height = pikepdf.Name.XObject, pikepdf.Name.Image, 300, 300
    image.BitsPerComponent, image.ColorSpace = 8, pikepdf.Name.DeviceGray
    page = pdf.add_blank_page()
    page.TrimBox, page.BleedBox = [9, 9, 603, 783], [0, 0, 612, 792]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 72 0 0 72 0 0 cm /Im0 Do Q 0.25 w 0 0 m 100 0 l S 0 0 0 1 k")
    pdf.save(tmp_path / "good.pdf")
    assert check_pdf((tmp_path / "good.pdf").read_bytes(), Job(cmyk=True, bleed_pt=3 * MM)) == []


def test_the_sample_in_rgb_has_one_finding_its_harbour_picture_under_300_ppi(sample_build):
    """The sample's PDF as built (RGB, no bleed, no variant): its fonts embedded and subset, no
    hairline, every image at 300 ppi or more but the harbour picture across the page."""
    from masthead.tools.preflight import Job, check_pdf

    meta = pipeline(SAMPLE).load().meta
    findings = check_pdf(sample_build["pdf"].read_bytes(), Job.of(meta))
    assert [f.line() for f in findings] == [f"page 7: warning: {HARBOUR}"]


def test_the_sample_made_for_a_press_is_clean_but_for_its_harbour_picture(sample_cmyk_build):
    """CMYK with a 3 mm bleed, PDF/X-4 with the bundled output intent: no RGB, boxes as asked;
    through the command with --pdf and --json, exit status 0 (a warning is no error)."""
    issue, pdf = sample_cmyk_build
    result = masthead("preflight", str(issue), "--pdf", str(pdf), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["job"] == {"cmyk": True, "bleed_pt": pytest.approx(3 * MM), "variant": "pdf/x-4"}
    assert (report["errors"], report["warnings"]) == (0, 1)
    assert report["findings"] == [{"pages": [7], "severity": "warning", "check": "resolution", "message": HARBOUR}]


def test_an_rgb_pdf_checked_against_a_cmyk_manifest_is_refused_with_exit_status_1(sample_cmyk_build, sample_build):
    """The faulty job of the issue's 'done when': the RGB PDF for the press, whose manifest says
    cmyk: its RGB images and colours are errors, each line `page N: error: …`."""
    issue, _ = sample_cmyk_build
    result = masthead("preflight", str(issue), "--pdf", str(sample_build["pdf"]))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "page 7: error: the image of 2000×1300 px is RGB (DeviceRGB) in a CMYK job" in lines
    # every page but the adverts' (10 and 21: a picture alone) and the blank ones (20 and 22)
    assert any(line == "pages 1-9,11-19: error: colours set in RGB (rg) in a CMYK job" for line in lines), lines
    assert any("the bleed is 0.0 mm, not the 3.0 mm the manifest asks for" in line for line in lines), lines
    assert all(": error: " in line or ": warning: " in line for line in lines)


def test_preflight_lays_out_the_arabic_sample_and_finds_nothing(tmp_path):
    """Without --pdf the command lays the issue out through the pipeline; the Arabic sample has no
    picture, and its fonts are embedded and subset: no finding, exit status 0; nothing written."""
    issue = ROOT / "issues" / "al-fanar-2025-11-28"
    result = masthead("preflight", str(issue), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "al-fanar-2025-11-28.pdf: no findings"
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_no_pdf_is_one_line_and_exit_status_1(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nnothing else")
    result = masthead("preflight", str(SAMPLE), "--pdf", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "not a PDF that can be read" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_faulty_issue_for_a_press_is_flagged_fault_by_fault(issue_dir, tmp_path):
    """An issue made for a press with a picture far too small for its page and no bleed: the
    command lays it out and finds the picture under 150 ppi (an error: exit status 1) and the
    missing bleed on every page (a warning); nothing RGB, since the build converted it all."""
    from PIL import Image

    Image.new("RGB", (120, 80), (200, 60, 40)).save(issue_dir / "articles" / "small.jpg", quality=90)
    one = issue_dir / "articles" / "one.md"
    one.write_text(one.read_text().replace("standfirst: The first one.\n",
                                           "standfirst: The first one.\nimage: {src: small.jpg, alt: A red field}\n"))
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + "pdf:\n  color: cmyk\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = masthead("preflight", str(issue_dir), "--json", cwd=cwd)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    found = {(f["check"], f["severity"]) for f in report["findings"]}
    assert found == {("resolution", "error"), ("boxes", "warning")}, report["findings"]
    (low,) = [f for f in report["findings"] if f["check"] == "resolution"]
    assert low["message"].startswith("the image of 120×80 px prints at ") and "under 150 ppi" in low["message"]
    (bleed,) = [f for f in report["findings"] if f["check"] == "boxes"]
    assert bleed["pages"] == list(range(1, len(bleed["pages"]) + 1)) and len(bleed["pages"]) >= 3
    assert list(cwd.iterdir()) == [] and sorted(p.name for p in issue_dir.iterdir()) == ["articles", "issue.yaml"]


def _preflight_peak(pdf: Path) -> tuple[float, str]:
    """``masthead preflight`` on ``pdf`` in a process of its own: its peak memory (MB, from
    getrusage) and what it said."""
    import subprocess
    import sys

    measure = ("import resource, subprocess, sys\n"
               "r = subprocess.run([sys.executable, '-m', 'masthead', 'preflight', sys.argv[1], '--pdf', sys.argv[2]],"
               " capture_output=True, text=True, timeout=600)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
               "sys.stderr.write(r.stdout + r.stderr)\n")
    result = subprocess.run([sys.executable, "-c", measure, str(SAMPLE), str(pdf)], capture_output=True, text=True,
                            timeout=600)
    return int(result.stdout) / 1024, result.stderr  # ru_maxrss is in KB on Linux


def _one_page(path: Path, content: bytes, **resources) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(content)
    page.obj.Resources = pikepdf.Dictionary(**resources)
    pdf.save(path)
    return path


@pytest.mark.parametrize("kind", ["encrypted", "colour space", "box", "width", "fifo"])
def test_a_hostile_pdf_is_one_clean_line_never_a_traceback_or_a_hang(tmp_path, kind):
    # What an outside attack handed preflight: each was a traceback (or, for a FIFO, a hang).
    import os

    target = tmp_path / f"{kind}.pdf"
    if kind == "encrypted":
        _one_page(tmp_path / "plain.pdf", b"")
        with pikepdf.open(tmp_path / "plain.pdf") as pdf:
            pdf.save(target, encryption=pikepdf.Encryption(user="u", owner="o"))
    elif kind == "colour space":
        _one_page(target, b"/C cs 1 scn 0 0 10 10 re f", ColorSpace=pikepdf.Dictionary(C=pikepdf.Array([pikepdf.Name.Separation])))
    elif kind == "box":
        _one_page(target, b"")
        with pikepdf.open(target, allow_overwriting_input=True) as pdf:
            pdf.pages[0].obj.TrimBox = pikepdf.Array([0, 0])
            pdf.save(target)
    elif kind == "width":
        _one_page(target, b"(x) w 0 0 m 10 10 l S")
    else:
        os.mkfifo(target)
    result = masthead("preflight", str(SAMPLE), "--pdf", str(target))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "0x" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_forms_drawn_deeper_than_preflight_reads_are_said_not_passed_over(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    inner = pdf.make_stream(b"0 0 1 rg 0 0 10 10 re f")
    for _ in range(20):  # each form draws the one before
        inner = pdf.make_stream(b"/F Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 200, 200],
                                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=inner)))
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(b"/F Do")
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=inner))
    pdf.save(tmp_path / "deep.pdf")
    result = masthead("preflight", str(SAMPLE), "--pdf", str(tmp_path / "deep.pdf"))
    assert "more than 12 deep: what they draw is not checked" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def gigabyte_deflated() -> bytes:
    """1 GB of zeros (as digits a content stream could hold) deflated, 1 MB, never all in memory."""
    import zlib

    packer, chunk, out = zlib.compressobj(6), b"0" * (1 << 20), []
    for _ in range(1024):
        out.append(packer.compress(chunk))
    out.append(packer.flush())
    return b"".join(out)


@pytest.mark.parametrize("where", ["page", "form"])
def test_a_content_stream_that_inflates_to_a_gigabyte_is_one_line_and_memory_stays_small(tmp_path, where,
                                                                                         gigabyte_deflated):
    """A 1 MB PDF whose content stream (the page's, or a form's it draws) inflates to 1 GB:
    preflight read it whole (1 GB and more held). It inflates no more than its cap, says so in
    one line, and the process's peak memory stays far under what the stream holds."""

    raw = gigabyte_deflated
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    bomb = pikepdf.Stream(pdf, b"")
    bomb.write(raw, filter=pikepdf.Name.FlateDecode)
    page = pdf.pages[0]
    page.obj.TrimBox = [0, 0, 200, 200]
    if where == "form":
        bomb.Type, bomb.Subtype, bomb.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 200, 200]
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=bomb))
        page.obj.Contents = pdf.make_stream(b"/F Do")
    else:
        page.obj.Contents = bomb
    pdf.save(tmp_path / "bomb.pdf")
    assert (tmp_path / "bomb.pdf").stat().st_size < 2_000_000
    peak_mb, said = _preflight_peak(tmp_path / "bomb.pdf")
    lines = [line for line in said.splitlines() if line.strip()]
    assert "Traceback" not in said
    assert len(lines) == 1 and "inflates to more than 16 MB: what it draws is not checked" in lines[0], lines
    assert lines[0].startswith("page 1: error: "), lines
    assert peak_mb < 250, f"peak {peak_mb:.0f} MB"


def _form(pdf, content: bytes, **xobjects):
    return pdf.make_stream(content, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10],
                           Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(**xobjects)))


def test_a_form_drawing_a_form_a_thousand_times_three_deep_is_walked_once_and_preflight_ends(tmp_path):
    """10^9 form draws in a 2 KB PDF ran for hours: a form drawn again in the same state is
    walked once and its findings reused, so it ends, and the line its last form draws is found."""
    import subprocess
    import sys

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    form = _form(pdf, b"0.1 w 0 0 m 1 1 l S")
    for _ in range(3):
        form = _form(pdf, b"/F Do\n" * 1000, F=form)
    page = pdf.pages[0]
    page.obj.TrimBox = [0, 0, 200, 200]
    page.obj.Contents = pdf.make_stream(b"/F Do")
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=form))
    pdf.save(tmp_path / "wide.pdf")
    result = subprocess.run([sys.executable, "-m", "masthead", "preflight", str(SAMPLE), "--pdf", str(tmp_path / "wide.pdf")],
                            capture_output=True, text=True, timeout=300)  # hours before; a second now
    assert "Traceback" not in result.stderr, result.stderr
    assert "page 1: warning: a line stroked 0.1 pt wide" in result.stdout + result.stderr


def test_a_document_over_its_operator_budget_names_the_pages_it_did_not_check(tmp_path, monkeypatch):
    from masthead.tools import preflight

    monkeypatch.setattr(preflight, "MAX_DOCUMENT_OPERATORS", 250)
    pdf = pikepdf.new()
    for number in range(5):  # each page its own 100 operators
        pdf.add_blank_page(page_size=(200, 200))
        pdf.pages[number].obj.TrimBox = [0, 0, 200, 200]
        pdf.pages[number].obj.Contents = pdf.make_stream(b"%d 0 m 1 1 l S\n" % number * 33 + b"n")
    pdf.save(tmp_path / "five.pdf")
    findings = preflight.check_pdf((tmp_path / "five.pdf").read_bytes(), preflight.Job())
    assert [f.line() for f in findings] == [
        "pages 3-5: error: too complex to check: the document draws more than 250 operators in all "
        "(forms drawn included); these pages are not checked"]


def test_a_page_drawing_one_form_in_ever_new_places_over_its_budget_is_one_error(tmp_path, monkeypatch):
    from masthead.tools import preflight

    monkeypatch.setattr(preflight, "MAX_PAGE_OPERATORS", 5_000)
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    form = _form(pdf, b"0 0 m 1 1 l S\n" * 100)
    page = pdf.pages[0]
    page.obj.TrimBox = [0, 0, 200, 200]
    page.obj.Contents = pdf.make_stream(b"".join(b"q 1 0 0 1 %d 0 cm /F Do Q\n" % i for i in range(1000)))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=form))
    pdf.save(tmp_path / "moving.pdf")
    findings = preflight.check_pdf((tmp_path / "moving.pdf").read_bytes(), preflight.Job())
    assert [f.line() for f in findings] == [
        "page 1: error: too complex to check: it draws more than 5,000 operators (forms drawn included); "
        "what it draws is not all checked"]


def test_a_book_of_pages_of_twenty_thousand_operators_is_checked_in_full(tmp_path):
    from masthead.tools import preflight

    pdf = pikepdf.new()
    for number in range(3):
        pdf.add_blank_page(page_size=(200, 200))
        pdf.pages[number].obj.TrimBox = [0, 0, 200, 200]
        line = b"q 1 0 0 1 %d 0 cm 0.5 w 0 0 m 1 1 l S Q\n" % number  # 6 operators
        pdf.pages[number].obj.Contents = pdf.make_stream(line * 3_333 + b"0.1 w 0 0 m 1 1 l S")
    pdf.save(tmp_path / "book.pdf")
    assert preflight.MAX_DOCUMENT_OPERATORS > 20 * 1_500 * 1_000 and preflight.MAX_STREAM_OPERATORS > 20_000
    findings = preflight.check_pdf((tmp_path / "book.pdf").read_bytes(), preflight.Job())
    assert [f.line() for f in findings] == [
        "pages 1-3: warning: a line stroked 0.1 pt wide, under 0.25 pt: it may break up or vanish on the plate"]


def test_graphics_states_nested_past_sixty_four_deep_are_one_error(tmp_path):
    from masthead.tools import preflight

    _one_page(tmp_path / "deep.pdf", b"q " * 100 + b"0.1 w 0 0 m 1 1 l S" + b" Q" * 100)
    findings = preflight.check_pdf((tmp_path / "deep.pdf").read_bytes(), preflight.Job())
    assert "page 1: error: graphics states (q) nested more than 64 deep: what is drawn past that is not checked" \
        in [f.line() for f in findings]
    assert not [f for f in findings if f.check == "hairline"]


@pytest.mark.parametrize("content,what", [
    (b"q " * 8_300_000, "250,000 operators"),
    (b"0 0 m 1 1 l S\n" * 1_070_000, "250,000 operators"),
    (b"[" + b"0 " * 8_000_000 + b"] TJ", "800,000 operators and operands"),
], ids=["q", "lines", "array"])
def test_a_small_pdf_of_millions_of_operators_is_one_line_and_memory_stays_small(tmp_path, content, what):
    """16 KB of deflated ``q`` (16.6 MB inflated, under the inflate cap) took 3 GB parsed, 15 MB
    of lines 1.7 GB, an array of 8 M numbers 1.2 GB: operators and operands are counted on the
    bytes first, and a stream of too many is not parsed."""

    _one_page(tmp_path / "ops.pdf", content)
    peak_mb, said = _preflight_peak(tmp_path / "ops.pdf")
    lines = [line for line in said.splitlines() if line.strip() and "TrimBox" not in line]
    assert "Traceback" not in said
    assert lines == [f"page 1: error: the page's content holds more than {what}: what it draws is not checked"]
    assert peak_mb < 250, f"peak {peak_mb:.0f} MB"


def test_an_issue_built_with_crop_marks_has_no_hairline_from_its_own_marks(issue_dir):
    """WeasyPrint strokes its registration circles 0.19 pt wide: preflight flagged every page
    of a crop-marks build. They are stroked 0.28 pt now."""
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + "pdf:\n  crop_marks: true\n  bleed: 3mm\n")
    result = masthead("preflight", str(issue_dir), "--json")
    report = json.loads(result.stdout)
    assert report["findings"] is not None and not [f for f in report["findings"] if f["check"] == "hairline"], \
        report["findings"]
    assert report["errors"] == 0, report["findings"]
