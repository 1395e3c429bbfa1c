"""A cover drawn from the issue when the manifest names no cover image.

Pillow sets the masthead, the issue's title, date and number, and cover lines taken from the
first articles (kicker and headline) in the theme's fonts, on a 1600 × 2560 canvas: the size
e-reader stores ask for. Right-to-left issues are set right-aligned with the Naskh face.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.dates import format_date

from masthead import i18n
from masthead.model import Issue
from masthead.theme import Theme, builtin_root

WIDTH, HEIGHT = 1600, 2560
MARGIN = 120
PAPER, INK, ACCENT, MUTED = (246, 241, 232), (24, 24, 28), (178, 34, 34), (92, 88, 84)
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
COVER_LINES = 4


def draw_cached(issue: Issue, theme: Theme) -> bytes:
    """:func:`draw`, remembered under everything it draws with: its texts, the theme's
    fonts, this module's code and Pillow's version (drawing takes ~0.2 s)."""
    from masthead import cache

    return cache.cached("covers", cache_key(issue, theme), lambda: draw(issue, theme)) or draw(issue, theme)


def is_cached(issue: Issue, theme: Theme) -> bool:
    from masthead import cache

    return cache.has("covers", cache_key(issue, theme))  # without reading the picture


def cache_key(issue: Issue, theme: Theme) -> str:
    import PIL

    from masthead import cache

    meta = issue.meta
    fonts = [theme.find(name) for name in _FONTS]
    return cache.key(Path(__file__).read_bytes(), PIL.__version__, repr((
        meta.publication, meta.title, meta.publisher, meta.direction, _dateline(issue, theme), cover_lines(issue),
        [(str(f), f.stat().st_size, f.stat().st_mtime_ns) if f else None for f in fonts])))


def _dateline(issue: Issue, theme: Theme) -> str:
    meta = issue.meta
    dateline = format_date(meta.date, "long", locale=i18n.locale_of(meta.language))
    if meta.number is not None:
        gettext = i18n.translations(meta.language, theme.locale_dirs).gettext
        dateline = f"{dateline}  ·  {gettext('Issue %(number)s') % {'number': meta.number}}"
    return dateline


def draw(issue: Issue, theme: Theme) -> bytes:
    from PIL import Image, ImageDraw  # Pillow is imported only when a cover is drawn

    meta = issue.meta
    rtl = meta.direction == "rtl"
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    pen = ImageDraw.Draw(image)

    # The masthead: a band of colour with the publication's name as large as fits.
    pen.rectangle((0, 0, WIDTH, 560), fill=ACCENT)
    width = WIDTH - 2 * MARGIN  # no line is wider: _wrap and _fit cut what would be (with "…")
    size = 220
    while size > 60 and _font(theme, meta.publication, size, bold=True).getlength(meta.publication) > width:
        size -= 8
    _text(pen, theme, _fit(theme, meta.publication, size, True, width), size, True, (WIDTH // 2, 300),
          (255, 255, 255), anchor="mm")

    _text(pen, theme, _fit(theme, _dateline(issue, theme), 46, False, width), 46, False, (WIDTH // 2, 640), MUTED,
          anchor="mm")
    y = 760
    if meta.title:
        for line in _wrap(theme, meta.title, 96, True, width):
            _text(pen, theme, line, 96, True, (WIDTH // 2, y), INK, anchor="ma")
            y += 116
    y += 60
    pen.line((MARGIN, y, WIDTH - MARGIN, y), fill=INK, width=4)
    y += 80
    x, anchor = (WIDTH - MARGIN, "ra") if rtl else (MARGIN, "la")
    for kicker, title in cover_lines(issue):
        if y > HEIGHT - 420:
            break
        if kicker:
            _text(pen, theme, _fit(theme, kicker.upper(), 40, True, width), 40, True, (x, y), ACCENT, anchor=anchor)
            y += 62
        for line in _wrap(theme, title, 68, True, width)[:3]:
            _text(pen, theme, line, 68, True, (x, y), INK, anchor=anchor)
            y += 84
        y += 56
    if meta.publisher:
        _text(pen, theme, _fit(theme, meta.publisher, 38, False, width), 38, False, (WIDTH // 2, HEIGHT - 140), MUTED,
              anchor="mm")
    out = io.BytesIO()
    _flat(image, Image).save(out, "PNG", compress_level=6)  # level 9 takes 4× as long for 12 % less
    return out.getvalue()


def _flat(image, Image):
    """The cover in 64 colours, without dithering: text edges stay clean, at a third of the size.

    The octree takes a fifth of median cut's time (0.08 s against 0.34 s for 1600 × 2560); its
    palette averages the pixels each colour stands for, so the flat colours came out a level
    off (paper 245,240,231): each is set back exactly, in the entry that stands for it.
    """
    flat = image.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette = flat.getpalette()
    for colour in (PAPER, INK, ACCENT, MUTED, (255, 255, 255)):
        distance, index = min((sum((palette[3 * i + k] - colour[k]) ** 2 for k in range(3)), i)
                              for i in range(len(palette) // 3))
        if distance <= 12:  # that colour's entry (a colour the cover lacks has none this near)
            palette[3 * index:3 * index + 3] = colour
    flat.putpalette(palette)
    return flat


_FONTS = ("fonts/NotoSerif-Bold.ttf", "fonts/NotoSerif-Regular.ttf",
          "fonts/NotoNaskhArabic-Bold.ttf", "fonts/NotoNaskhArabic-Regular.ttf")


def cover_lines(issue: Issue) -> list[tuple[str | None, str]]:
    """(kicker, line) pairs: the manifest's cover_lines, else the first articles' headlines."""
    if issue.meta.cover_lines:
        return [(None, line) for line in issue.meta.cover_lines[:6]]
    return [(a.kicker, a.title) for a in issue.articles[:COVER_LINES]]


def _font(theme: Theme, text: str, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont, features  # Pillow is imported only when a cover is drawn

    name = _FONTS[2 * bool(_ARABIC.search(text)) + (not bold)]
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    # The theme's face; where that is no font (fonts.py warns of it), the built-in theme's.
    for path in (theme.find(name), builtin_root() / "default" / name):
        if path is not None and path.is_file():
            try:
                font = ImageFont.truetype(str(path), size, layout_engine=layout)
                font.getmask("".join(sorted(set(text))) or " ")  # a damaged face fails here (its hinting, its tables)
                return font
            except (OSError, ValueError):
                continue
    return ImageFont.load_default(size)


def _text(pen, theme, text, size, bold, xy, fill, anchor) -> None:
    from PIL import features  # Pillow is imported only when a cover is drawn

    font = _font(theme, text, size, bold)
    direction = "rtl" if _ARABIC.search(text) and features.check("raqm") else None
    pen.text(xy, text, font=font, fill=fill, anchor=anchor, direction=direction)


def _wrap(theme: Theme, text: str, size: int, bold: bool, width: int) -> list[str]:
    """``text`` in lines of ``width`` at most, broken between words; a word longer than a line cut to fit."""
    text = text[:_MAX_CHARS]  # three lines are drawn at most: a headline of a million letters is not read through
    font = _font(theme, text, size, bold)
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [_fit(theme, line, size, bold, width) for line in lines + ([line] if line else [])]


# No line of the cover holds more letters (1,360 pixels at 40 px or more). Longer text is cut
# before it is measured: FreeType's widths overflow past ~2 billion 64ths of a pixel, and a
# million letters measured as fitting were set as one picture of billions of pixels.
_MAX_CHARS = 1000
_MARKS = 8  # combining marks on one letter at most; more are dropped (Vietnamese has 2, Tibetan stacks ~5)


def _fit(theme: Theme, text: str, size: int, bold: bool, width: int) -> str:
    """``text`` as it is when it fits ``width``, else its longest beginning that fits with "…".

    Pillow sets a line as one picture: a line far wider than the cover (one word of thousands
    of letters), or taller (thousands of accents stacked on one letter), would be hundreds of
    megapixels, which Pillow refuses as a decompression bomb.
    """
    import unicodedata

    text = text[:_MAX_CHARS]
    if any(unicodedata.category(c)[0] == "M" for c in text):  # no letter's accents piled a page high
        kept, run = [], 0
        for c in text:
            run = run + 1 if unicodedata.category(c)[0] == "M" else 0
            if run <= _MARKS:
                kept.append(c)
        text = "".join(kept)
    font = _font(theme, text, size, bold)
    if font.getlength(text) <= width:
        return text
    cut = text
    while True:
        low, high = 0, len(cut) - 1  # the longest beginning that fits, found by halves
        while low < high:
            middle = (low + high + 1) // 2
            if font.getlength(cut[:middle].rstrip() + "…") <= width:
                low = middle
            else:
                high = middle - 1
        # not between a letter and its accents, nor inside a joined emoji
        while low and (unicodedata.category(cut[low])[0] == "M" or cut[low] in "\u200d\ufe0e\ufe0f"
                       or cut[low - 1] == "\u200d"):
            low -= 1
        fitted = cut[:low].rstrip() + "…"
        fitting = _font(theme, fitted, size, bold)  # the face _text sets it in: Naskh only with Arabic in it
        if not low or fitting.getlength(fitted) <= width:
            return fitted
        font, cut = fitting, cut[:low]  # the Arabic was cut off: again, measured in the other face
