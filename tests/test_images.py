"""Images: upright, stripped of camera metadata, sized per output; covers given or generated."""

from __future__ import annotations

import io
import subprocess
import zipfile

from PIL import Image

from helpers import SAMPLE, Epub, build_folder, need


def camera_photo(path, size=(4000, 3000)) -> None:
    """A JPEG as a phone writes it: sideways pixels, orientation 6 (rotate 90° CW), GPS."""
    image = Image.new("RGB", size, (40, 90, 160))
    image.paste((230, 200, 40), (0, 0, size[0] // 4, size[1]))  # a stripe on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
    image.save(path, "JPEG", exif=exif.tobytes(), quality=90)


def test_camera_photo_is_upright_small_and_without_metadata(issue_dir, tmp_path):
    (issue_dir / "images").mkdir()
    camera_photo(issue_dir / "images" / "photo.jpg")
    article = issue_dir / "articles" / "two.md"
    article.write_text(article.read_text() + '\n![A stripe](../images/photo.jpg "A caption")\n')
    out = build_folder(issue_dir, tmp_path / "out", "epub,pdf")
    with zipfile.ZipFile(out["epub"]) as z:
        data = z.read("EPUB/images/photo.jpg")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1200, 1600)  # turned upright (portrait), long side 1600
        assert not image.getexif() and "exif" not in image.info
        assert image.getpixel((600, 10))[2] < 100  # the stripe is now at the top: yellow
    assert b"PhoneMaker" not in data
    need("pdfimages")
    listing = subprocess.run(["pdfimages", "-list", str(out["pdf"])], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    (photo,) = [r for r in rows if (int(r[3]), int(r[4])) == (1240, 1653)]  # upright, and across a column of A4
    assert int(photo[12]) >= 300  # pixels per inch where it prints: still a printer's 300


def test_print_images_are_sized_for_where_they_print(issue_dir, tmp_path):
    """300 dpi across the space an image fills on paper: a lead image the page's width, a figure
    a column's, so that a camera's 4,000 pixels do not fill the PDF at 900 ppi."""
    (issue_dir / "images").mkdir()
    for name, colour in (("lead.jpg", (200, 40, 40)), ("figure.jpg", (40, 40, 200))):
        Image.new("RGB", (4000, 2000), colour).save(issue_dir / "images" / name, quality=90)
    article = issue_dir / "articles" / "two.md"
    text = article.read_text()
    assert text.startswith("---\n")
    article.write_text("---\nimage: {src: ../images/lead.jpg, alt: A red field}\n" + text[4:]
                       + "\n![A blue field](../images/figure.jpg)\n")
    manifest = issue_dir / "issue.yaml"
    original = manifest.read_text()
    need("pdfimages")

    def print_sizes(out) -> dict[tuple[int, int], int]:
        listing = subprocess.run(["pdfimages", "-list", str(out["pdf"])], capture_output=True, text=True, check=True).stdout
        return {(int(r[3]), int(r[4])): int(r[12]) for r in (line.split() for line in listing.splitlines()[2:])}

    two = print_sizes(build_folder(issue_dir, tmp_path / "two", "pdf"))  # A4, two columns: the default
    assert two.keys() >= {(2480, 1240), (1240, 620)}, two  # the lead across 210 mm, the figure across 105
    assert all(two[size] >= 300 for size in ((2480, 1240), (1240, 620)))
    manifest.write_text(original + "pdf:\n  page_size: A5\n  columns: 1\n")
    one = print_sizes(build_folder(issue_dir, tmp_path / "one", "pdf"))
    assert one.keys() >= {(1748, 874)}, one  # both across an A5 page: 148 mm at 300 dpi
    assert (2480, 1240) not in one and (1240, 620) not in one


def test_upright_photo_loses_its_metadata_too(tmp_path):
    """Orientation 1 needs no turn; the GPS and camera tags must go all the same."""
    from masthead.content import images

    camera_photo(tmp_path / "photo.jpg")
    with Image.open(tmp_path / "photo.jpg") as image:
        exif = image.getexif()
        exif[0x0112] = 1
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    for fmt in ("JPEG", "PNG"):
        with Image.open(io.BytesIO(buffer.getvalue())) as image:
            source = io.BytesIO()
            image.save(source, fmt, exif=image.getexif().tobytes())
        data, info = images.prepare(source.getvalue(), 1600, 1600)
        assert (info.format, info.width, info.height) == (fmt, 1600, 1200)  # landscape, as it was
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif() and "exif" not in image.info
        assert b"PhoneMaker" not in data


def test_sample_epub_is_smaller_than_its_source_images(sample_build):
    sources = sum(p.stat().st_size for p in (SAMPLE / "images").iterdir())
    assert sample_build["epub"].stat().st_size < sources


def test_generated_cover_in_both_outputs(sample_build):
    book = Epub(sample_build["epub"])
    (cover,) = [i for i in book.manifest().values() if i.get("properties") == "cover-image"]
    with Image.open(io.BytesIO(book.read(cover["href"]))) as image:
        assert image.size == (1560, 2496)  # 1:1.6, within Apple Books' 4,000,000 pixels
        assert image.mode == "P" and len(image.getcolors()) <= 64  # a flat design in a small palette
        from masthead.render import cover as drawn

        rgb = image.convert("RGB")  # its flat colours exactly the theme's, not a palette's average
        assert rgb.getpixel((20, 20)) == drawn.ACCENT and rgb.getpixel((780, 2480)) == drawn.PAPER
    need("pdftotext")
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(sample_build["pdf"]), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert "The Lantern" in first and "Between last orders and first light" in first


def test_cover_lines_from_the_manifest(issue_dir, tmp_path):
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + "cover_lines:\n  - Everything you wanted to know\n  - And more\n")
    out = build_folder(issue_dir, tmp_path / "out", "pdf")
    need("pdftotext")
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(out["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    assert "Everything you wanted to know" in first and "First story" not in first


def test_image_options(issue_dir, tmp_path):
    (issue_dir / "images").mkdir()
    Image.new("RGB", (3000, 2000), (10, 120, 60)).save(issue_dir / "images" / "wide.jpg", quality=95)
    article = issue_dir / "articles" / "two.md"
    article.write_text(article.read_text() + "\n![Green](../images/wide.jpg)\n")
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + "epub:\n  image_max_size: 800\n  image_quality: 60\n")
    out = build_folder(issue_dir, tmp_path / "out", "epub")
    with zipfile.ZipFile(out["epub"]) as z, Image.open(io.BytesIO(z.read("EPUB/images/wide.jpg"))) as image:
        assert image.size == (800, 533)


HOSTILE_SVG = """<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100" onload="alert(1)">
<script>alert(2)</script>
<style>@import url(http://127.0.0.1:9/x.css);</style>
<rect id="r" x="10" y="10" width="80" height="60" fill="#b22222"/>
<image xlink:href="file:///etc/hostname" width="10" height="10"/>
<use href="#r" x="100"/>
<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>
<a href="javascript:alert(3)"><text x="10" y="90">Chart</text></a>
</svg>
"""


def test_svg_images_are_kept_without_what_could_run_or_reach_out(issue_dir, tmp_path):
    from helpers import epubcheck

    (issue_dir / "images").mkdir()
    (issue_dir / "images" / "chart.svg").write_text(HOSTILE_SVG)
    article = issue_dir / "articles" / "two.md"
    article.write_text(article.read_text() + '\n![A red block](../images/chart.svg "A vector chart")\n')
    out = build_folder(issue_dir, tmp_path / "out", "epub,pdf")
    with zipfile.ZipFile(out["epub"]) as z:
        svg = z.read("EPUB/images/chart.svg").decode()
    assert "<rect" in svg and 'href="#r"' in svg and "Chart" in svg  # the drawing stays
    for gone in ("script", "onload", "alert", "@import", "foreignObject", "file:", "javascript:"):
        assert gone not in svg, gone
    assert Epub(out["epub"]).manifest()["images-chart-svg"]["media-type"] == "image/svg+xml"
    assert epubcheck(out["epub"]) == []
    assert out["pdf"].stat().st_size > 1000


def _jpeg(mode: str, size=(400, 300), **options) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (0, 100, 200, 0) if mode == "CMYK" else (10, 200, 30)).save(buf, "JPEG", **options)
    return buf.getvalue()


def test_a_small_cmyk_jpeg_is_made_rgb_and_a_comment_goes():
    """Both passed byte for byte: CMYK shows in wrong colours on e-readers; a COM is metadata."""
    from masthead.content import images

    out, _ = images.prepare(_jpeg("CMYK"), 1600, 2400)
    assert Image.open(io.BytesIO(out)).mode == "RGB"
    out, _ = images.prepare(_jpeg("RGB", comment=b"WSECRETCOMMENT"), 1600, 2400)
    assert b"WSECRETCOMMENT" not in out and "comment" not in Image.open(io.BytesIO(out)).info
    from PIL import ImageCms

    cmyk_profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # any profile not RGB
    out, _ = images.prepare(_jpeg("CMYK", icc_profile=cmyk_profile), 1600, 2400)
    assert Image.open(io.BytesIO(out)).info.get("icc_profile") is None  # it described the CMYK, not the RGB
    plain = _jpeg("RGB")
    assert images.prepare(plain, 1600, 2400)[0] is plain  # a plain small JPEG still passes untouched


def test_a_truncated_image_is_an_error_at_its_reference(tmp_path):
    from helpers import masthead

    whole = _jpeg("RGB", (800, 600), quality=95)
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n\nText.\n\n![A cut picture](cut.jpg)\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - a.md\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 1, result.stderr
    assert "truncated" in result.stderr and "a.md:" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_truncated_image_is_refused_in_a_process_that_laid_out_a_pdf_before(monkeypatch):
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when it is
    imported: a daemon, --watch or preview that had built a PDF then took a truncated image a cold
    build refuses, and cached what it made of it (found by an outside attack)."""
    import weasyprint  # noqa: F401 - imported for what it does to Pillow
    from PIL import ImageFile

    from masthead.content import images
    from masthead.runtime.cache import Cache

    # What WeasyPrint's import does (weasyprint/images.py), whatever ran in this process before:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    whole = _jpeg("RGB", (800, 600), quality=95)
    cut = whole[: len(whole) // 2]
    for attempt in (lambda: images.prepare(cut, 400, 400), lambda: images.prepare_cached(cut, 400, 400, store=Cache(None))):
        try:
            attempt()
        except images.ImageError as exc:
            assert "truncated" in str(exc) or "cannot decode" in str(exc), exc
        else:
            raise AssertionError("a truncated JPEG was prepared")
    assert images.prepare(whole, 400, 400)[1].format == "JPEG"  # a whole one still is


def test_a_gif_cut_short_is_an_error_even_when_it_ends_in_its_end_byte():
    """A GIF ends in ";", a byte its compressed pictures hold too: a download cut there looked whole."""
    import random

    from masthead.content import images

    rng = random.Random(1891)
    frames = []
    for _ in range(3):
        frame = Image.new("P", (120, 90))
        frame.putdata([rng.randrange(256) for _ in range(120 * 90)])
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    whole = buffer.getvalue()
    assert images.prepare(whole, 1600, 1600)[0] == whole  # an animation that fits passes untouched
    for cut in range(len(whole) // 10, len(whole) - 1, 7):  # frames and their headers cut anywhere
        try:
            images.prepare(whole[:cut] + b";", 1600, 1600)
        except images.ImageError as exc:
            assert "truncated" in str(exc) or "not an image" in str(exc) or "cannot decode" in str(exc), exc
        else:  # passed: then it must be whole, a shorter animation cut at a frame's end
            with Image.open(io.BytesIO(whole[:cut] + b";")) as cut_short:
                for frame in range(cut_short.n_frames):
                    cut_short.seek(frame)
                    cut_short.load()  # raises if prepare let a broken one through


def test_a_gif_of_many_tiny_frames_is_checked_within_the_pixel_budget(monkeypatch):
    """Each frame checked costs 64 × 64 pixels at least: a file of a million 1 × 1 frames cannot
    keep the build decoding, frame by frame, for minutes."""
    from PIL import GifImagePlugin

    from masthead.content import images

    frames = [Image.new("RGB", (1, 1), ((255, 0, 0), (0, 0, 255))[i % 2]) for i in range(400)]  # no frame merges with the last
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=20)
    seeks = []
    real_seek = GifImagePlugin.GifImageFile.seek
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "seek", lambda self, frame: (seeks.append(frame), real_seek(self, frame))[1])
    monkeypatch.setattr(images, "PIXEL_LIMIT", 64 * 64 * 10)
    with Image.open(io.BytesIO(buffer.getvalue())) as image:
        assert image.n_frames == 400
        seeks.clear()
        images._check_whole(buffer.getvalue(), image)
    assert 0 < max(seeks) <= 10, seeks


def test_a_16_bit_grey_png_under_the_pixel_cap_is_made_8_bit_not_refused():
    """Issue 20: a valid 7745 × 7745 16-bit grey PNG (under 60 megapixels) was refused with
    Pillow's "image has wrong mode": it cannot make a thumbnail of 16 bits. It is fitted, then
    scaled to 8 bits (Pillow's own conversion would clip every value above 255 to white)."""
    from masthead.content import images

    buffer = io.BytesIO()
    Image.new("I;16", (7745, 7745), 30000).save(buffer, "PNG")
    data, info = images.prepare(buffer.getvalue(), 1600, 1600)
    assert (info.format, info.width, info.height) == ("PNG", 1600, 1600)
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "L" and image.getpixel((800, 800)) == 30000 // 256


def _cover_issue(root, cover_name: str, picture: bytes):
    (root / "articles").mkdir(parents=True)
    (root / cover_name).write_bytes(picture)
    (root / "issue.yaml").write_text(f"publication: P\ndate: 2025-03-01\nlanguage: en\ncover: {cover_name}\n"
                                     "articles: [articles/a.md]\n", "utf-8")
    (root / "articles" / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", "utf-8")
    return root


def _picture(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 900), (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def test_a_cover_is_typed_by_its_content_not_its_suffix(tmp_path):
    """Issue 20: a PNG named cover.jpg is a PNG cover (image/png); a GIF or an SVG named .jpg
    or .png is refused at the cover's line, as a GIF named .gif is; the suffix decides nothing."""
    from helpers import masthead

    issue = _cover_issue(tmp_path / "png", "cover.jpg", _picture("PNG"))
    out = build_folder(issue, tmp_path / "out", "epub")
    book = Epub(out["epub"])
    (cover,) = [i for i in book.manifest().values() if i.get("properties") == "cover-image"]
    assert cover["href"] == "images/cover.png" and cover["media-type"] == "image/png"
    assert book.read(cover["href"]).startswith(b"\x89PNG")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="90"><rect width="60" height="90"/></svg>'
    for name, picture, kind in (("cover.jpg", _picture("GIF"), "GIF"), ("cover.png", svg, "SVG"),
                                ("cover.gif", _picture("GIF"), "GIF")):
        issue = _cover_issue(tmp_path / name.replace(".", "-") / kind, name, picture)
        result = masthead("check", str(issue))
        assert result.returncode == 1, result.stderr
        assert f"issue.yaml:4:8: cover: must be a JPEG or PNG image; this file is {kind}" in result.stderr, result.stderr


def test_pictures_whose_names_differ_only_in_case_stay_apart(tmp_path):
    from PIL import Image

    from helpers import Epub, build_folder, epubcheck

    root = tmp_path / "issue"
    (root / "images").mkdir(parents=True)
    (root / "articles").mkdir()
    for name, colour in (("a.png", "red"), ("a.PNG", "yellow"), ("A.png", "blue")):
        Image.new("RGB", (40, 30), colour).save(root / "images" / name, format="PNG")
    (root / "articles" / "p.md").write_text(
        "---\ntitle: Pictures\n---\n\n![red](../images/a.png)\n\n![yellow](../images/a.PNG)\n\n![blue](../images/A.png)\n",
        encoding="utf-8")
    (root / "issue.yaml").write_text("publication: P\ndate: 2025-01-31\nlanguage: en\narticles:\n  - articles/p.md\n",
                                     encoding="utf-8")
    built = build_folder(root, tmp_path / "out", "epub")
    names = [n for n in Epub(built["epub"]).zip.namelist() if n.startswith("EPUB/images/") and "cover" not in n]
    assert len(names) == 3 and len({n.lower() for n in names}) == 3
    assert epubcheck(built["epub"]) == []
