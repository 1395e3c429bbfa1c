"""Images: checked when an article names them, prepared once for the outputs.

Pillow reads only the header to check an image (format, size, the pixel limit that stops
decompression bombs), so a check is cheap; :func:`prepare` decodes, turns the picture upright
from its EXIF orientation, drops metadata (camera, GPS) and scales it to fit a box.
"""

from __future__ import annotations

import io
import struct
import warnings
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from masthead.runtime.cache import Cache

PIXEL_LIMIT = 60_000_000  # 60 megapixels: larger than any camera file, far below a bomb
CORE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "GIF": ("image/gif", ".gif"),
              "SVG": ("image/svg+xml", ".svg")}
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop")
CONVERTED = {"WEBP", "TIFF", "BMP"}  # not EPUB core media types: become PNG


class ImageError(ValueError):
    """An image masthead cannot use; the message is for the user."""


class ImageInfo(NamedTuple):
    format: str  # Pillow's name: "JPEG", "PNG", …
    width: int
    height: int

    @property
    def media_type(self) -> str:
        return CORE_TYPES.get(self.format, CORE_TYPES["PNG"])[0]

    @property
    def extension(self) -> str:
        return CORE_TYPES.get(self.format, CORE_TYPES["PNG"])[1]


def _pillow():
    """Pillow's Image module, set to refuse decompression bombs and truncated files (imported on
    first use). Both are set at every use: they are Pillow's process-wide settings, and WeasyPrint
    turns LOAD_TRUNCATED_IMAGES on when it is imported, so a process that had laid out a PDF
    (build --watch, the daemon, preview) took a truncated image a cold build refuses, and cached
    what it made of it. The images WeasyPrint reads are masthead's, decoded whole here first."""
    from PIL import Image, ImageFile

    Image.MAX_IMAGE_PIXELS = PIXEL_LIMIT
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return Image


def probe(data: bytes) -> ImageInfo:
    """Format and size of an image, without decoding its pixels."""
    if not data.strip():
        raise ImageError("the file is empty")
    if _looks_like_svg(data):
        return _svg_info(_parse_svg(data))
    from PIL import UnidentifiedImageError

    pil = _pillow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pil.DecompressionBombWarning)
            with pil.open(io.BytesIO(data)) as image:
                info = ImageInfo(image.format or "", image.width, image.height)
    except (pil.DecompressionBombError, pil.DecompressionBombWarning):
        raise ImageError(f"image larger than {PIXEL_LIMIT // 1_000_000} megapixels; refusing to decode it") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"not an image masthead can read ({type(exc).__name__})") from None
    if info.format not in CORE_TYPES and info.format not in CONVERTED:
        raise ImageError(f"unsupported image format {info.format or 'unknown'} (use JPEG, PNG or GIF)")
    if info.width * info.height > PIXEL_LIMIT:
        raise ImageError(f"image of {info.width}×{info.height} pixels is larger than {PIXEL_LIMIT // 1_000_000} megapixels")
    return info


def upright(data: bytes) -> ImageInfo:
    """:func:`probe`'s answer for the picture as :func:`prepare` turns it upright: width and
    height swapped when its EXIF orientation turns it a quarter (5 to 8). Pixels not decoded."""
    info = probe(data)
    if info.format in ("SVG", "GIF"):
        return info
    pil = _pillow()
    try:
        with pil.open(io.BytesIO(data)) as image:
            orientation = image.getexif().get(0x0112, 1)
    except (OSError, ValueError, SyntaxError):
        return info  # prepare says what is wrong with it
    return info._replace(width=info.height, height=info.width) if orientation in (5, 6, 7, 8) else info


def animated(data: bytes) -> bool:
    """Whether the picture has more than one frame (an animated GIF or PNG). Read from its
    header and chunk list; no frame is decoded."""
    pil = _pillow()
    try:
        with pil.open(io.BytesIO(data)) as image:
            return bool(getattr(image, "is_animated", False))
    except (OSError, ValueError, SyntaxError):
        return False  # prepare says what is wrong with it


def prepare(data: bytes, max_width: int, max_height: int, quality: int = 85,
            max_bytes: int | None = None) -> tuple[bytes, ImageInfo]:
    """The image upright, without metadata, fitted into max_width × max_height.

    Small, metadata-free JPEG/PNG/GIF files are passed through untouched (no generation loss);
    a JPEG over ``max_bytes`` is encoded again at decreasing quality until it fits.
    """
    if _looks_like_svg(data):  # vector: no size to fit, only content to make safe (parsed once)
        root = _parse_svg(data)
        return _svg_bytes(root), _svg_info(root)
    info = probe(data)
    from PIL import ImageOps

    pil = _pillow()
    try:
        with pil.open(io.BytesIO(data)) as image:
            orientation = image.getexif().get(0x0112, 1)
            # EXIF (camera, GPS), XMP and comments go; the ICC colour profile stays.
            has_metadata = bool(image.getexif()) or any(k in image.info for k in _METADATA_KEYS)
            fits = info.width <= max_width and info.height <= max_height and (max_bytes is None or len(data) <= max_bytes)
            plain = info.format != "JPEG" or image.mode in ("RGB", "L")  # a CMYK JPEG: wrong colours on e-readers
            if (info.format in CORE_TYPES and fits and orientation == 1 and not has_metadata and plain) \
                    or (info.format == "GIF" and fits):  # a GIF keeps its animation; it carries no camera metadata
                _check_whole(data, image)
                return data, info
            image.load()
            icc = image.info.get("icc_profile")
            if orientation != 1:  # else exif_transpose would only copy the pixels
                image = ImageOps.exif_transpose(image)
            if image.mode.startswith("I;16"):
                image = _eight_bit_grey(image, max_width, max_height)
            image.thumbnail((max_width, max_height), pil.Resampling.LANCZOS)
            out = io.BytesIO()
            if info.format == "JPEG":
                if image.mode not in ("RGB", "L"):
                    image, icc = image.convert("RGB"), None  # a CMYK profile does not describe RGB
                for step in range(quality, 34, -10):
                    out = io.BytesIO()
                    image.save(out, "JPEG", quality=step, optimize=True, icc_profile=icc, comment=b"")  # Pillow keeps a COM otherwise
                    if max_bytes is None or out.tell() <= max_bytes:
                        break
                fmt = "JPEG"
            else:
                if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    image = image.convert("RGBA")
                image.save(out, "PNG", optimize=True, icc_profile=icc)
                fmt = "PNG"
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"cannot decode the image ({type(exc).__name__}: {exc})") from None
    return out.getvalue(), ImageInfo(fmt, image.width, image.height)


def _eight_bit_grey(image, max_width: int, max_height: int):
    """A 16-bit grey picture (a scanner's or a microscope's PNG) fitted into the box, then as
    8-bit grey: Pillow cannot make a thumbnail of 16 bits, and its own conversion to 8 bits
    clips every value above 255 to white instead of scaling it."""
    from PIL import ImageOps

    pil = _pillow()
    if image.width > max_width or image.height > max_height:
        image = ImageOps.contain(image, (max_width, max_height), pil.Resampling.LANCZOS)
    return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")


_ENDS = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}


def _check_whole(data: bytes, image) -> None:
    """An OSError if the file is not all there. A download cut short keeps its header (and
    passed as it was, to show half a picture, or none, on a reader). A JPEG's or PNG's end
    marker says it is whole at once; without one, the picture is decoded to know. A GIF's
    end (";") is also a byte its pictures hold, so a cut one can end in it: every frame of a
    GIF is decoded (once: prepare_cached remembers the outcome), up to PIXEL_LIMIT pixels in
    all (a frame counting as 64 × 64 at least): a longer animation's later frames are not
    checked, rather than decoded for minutes."""
    if image.format == "GIF":
        frame, budget = 0, PIXEL_LIMIT
        try:
            while budget > 0:
                image.load()
                budget -= max(image.width * image.height, 64 * 64)  # a frame of 1 × 1 pixels still costs a decode
                frame += 1
                try:
                    image.seek(frame)
                except EOFError:  # that was the last frame
                    break
        except (struct.error, IndexError) as exc:  # Pillow's reading of a frame header cut short
            raise OSError("image file is truncated") from exc
        image.seek(0)
        return
    end = _ENDS.get(image.format)
    if end is not None and not data.rstrip(b"\0\r\n ").endswith(end):
        image.load()


def is_prepared(data: bytes, max_width: int, max_height: int, quality: int = 85,
                max_bytes: int | None = None, *, store: Cache) -> bool:
    """Does the cache hold :func:`prepare_cached`'s result for these arguments?"""
    return store.has("images", _key(data, max_width, max_height, quality, max_bytes))


def _key(data: bytes, max_width: int, max_height: int, quality: int, max_bytes: int | None) -> str:
    import PIL  # the package alone (its version keys the cache), not PIL.Image, which costs an import

    from masthead.runtime import cache

    return cache.key(data, f"{max_width}x{max_height}q{quality}b{max_bytes}", PIL.__version__, "with-info")


def prepare_cached(data: bytes, max_width: int, max_height: int, quality: int = 85,
                   max_bytes: int | None = None, *, store: Cache) -> tuple[bytes, ImageInfo]:
    """:func:`prepare`, remembered by content hash in ``store``: a rebuild does not decode images again.

    The entry is "FORMAT WIDTH HEIGHT\n" and the image, so a hit needs no Pillow at all.
    """
    def compute() -> bytes:
        prepared, info = prepare(data, max_width, max_height, quality, max_bytes)
        if info.format != "SVG":  # an SVG's is read from the tree prepare wrote, and checked there
            info = probe(prepared)
        return f"{info.format} {info.width} {info.height}\n".encode() + prepared

    key = _key(data, max_width, max_height, quality, max_bytes)
    entry = store.cached("images", key, compute) or compute()
    head, _, prepared = entry.partition(b"\n")
    fmt, width, height = head.decode().split()
    return prepared, ImageInfo(fmt, int(width), int(height))


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!--", b"<!DOCTYPE")) and b"<svg" in data[:4096])


def _parse_svg(data: bytes):
    """The SVG's tree, cleaned (:func:`masthead.content.svg.clean`) and checked (:func:`masthead.content.svg.check`)."""
    from masthead.content import svg

    try:
        return svg.check(svg.clean(svg.parse(data)))
    except svg.SvgError as exc:  # svg.py knows nothing of this module: its refusals become ours here
        raise ImageError(str(exc)) from None


def _svg_info(root) -> ImageInfo:
    return ImageInfo("SVG", _svg_length(root.get("width")), _svg_length(root.get("height")))


def _svg_bytes(root) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _svg_length(value: str | None) -> int:
    try:
        return int(float((value or "0").strip().removesuffix("px")))
    except (ValueError, OverflowError):
        return 0


def clean_svg(data: bytes) -> bytes:
    """The SVG without what could run or reach out: scripts, event handlers, foreign objects,
    styles, animations, and references to anything but its own elements (:mod:`masthead.content.svg`)."""
    return _svg_bytes(_parse_svg(data))


# ---------------------------------------------------------------------------- CMYK, for a press


def separated(data: bytes, profile: bytes, quality: int) -> tuple[bytes, str]:
    """A prepared print image in the output intent's CMYK: (bytes, media type).

    The picture's own ICC profile (else sRGB, as the web and e-readers take it) is converted
    to ``profile`` with LittleCMS (Pillow's ImageCms), relative colorimetric with black point
    compensation, as presses' RIPs do by default. The result is a CMYK JPEG (``quality``; a PNG
    or GIF at 95 or more and without chroma subsampling, to keep line art's edges): WeasyPrint 70
    embeds CMYK only from a JPEG (it writes every other picture through PNG, which has no CMYK).
    Transparency is flattened onto white paper: a CMYK image in the PDF has no alpha channel. A grey picture stays grey (DeviceGray prints
    with black ink alone); an SVG is returned as it is.
    """
    from PIL import ImageCms

    pil = _pillow()
    if _looks_like_svg(data):
        return data, "image/svg+xml"
    try:
        with pil.open(io.BytesIO(data)) as image:
            image.load()
            fmt = image.format
            own = image.info.get("icc_profile")
            if image.mode in ("L", "1"):
                return data, CORE_TYPES.get(fmt or "PNG", CORE_TYPES["PNG"])[0]
            if image.mode == "CMYK":
                if fmt == "JPEG":
                    return data, "image/jpeg"
                image = image.convert("RGB")  # (no CMYK PNG exists; a CMYK TIFF or WebP was made RGB by prepare)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                image = pil.new("RGB", rgba.size, (255, 255, 255))
                image.paste(rgba, mask=rgba.getchannel("A"))
            elif image.mode != "RGB":
                image = image.convert("RGB")
            source = ImageCms.ImageCmsProfile(io.BytesIO(own)) if own else ImageCms.createProfile("sRGB")
            try:
                transform = ImageCms.buildTransform(
                    source, ImageCms.ImageCmsProfile(io.BytesIO(profile)), "RGB", "CMYK",
                    renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                    flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
            except ImageCms.PyCMSError:  # the picture's own profile is not an RGB one: take it as sRGB
                transform = ImageCms.buildTransform(
                    ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(profile)), "RGB", "CMYK",
                    renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                    flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
            cmyk = ImageCms.applyTransform(image, transform)
            assert cmyk is not None  # (None only when converting in place)
            out = io.BytesIO()
            if fmt == "JPEG":
                cmyk.save(out, "JPEG", quality=quality, optimize=True, comment=b"")
            else:  # line art: no chroma subsampling, the highest quality short of 100's huge files
                cmyk.save(out, "JPEG", quality=max(quality, 95), subsampling=0, optimize=True, comment=b"")
            return out.getvalue(), "image/jpeg"
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"cannot convert the image to CMYK ({type(exc).__name__}: {exc})") from None


def separated_cached(data: bytes, profile: bytes, quality: int, *, store: Cache) -> tuple[bytes, str]:
    """:func:`separated`, remembered in ``store`` by the image, the profile and the quality."""
    import PIL

    from masthead.runtime import cache

    def compute() -> bytes:
        converted, media_type = separated(data, profile, quality)
        return media_type.encode() + b"\n" + converted

    key = cache.key(data, profile, f"cmyk-q{quality}", PIL.__version__)
    entry = store.cached("images", key, compute) or compute()
    head, _, converted = entry.partition(b"\n")
    return converted, head.decode()
