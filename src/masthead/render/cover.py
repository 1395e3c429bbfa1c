"""A cover drawn from the issue when the manifest names no cover image.

Pillow sets the masthead, the issue's title, date and number, and cover lines taken from the
first articles (kicker and headline) in the theme's fonts, on a 1560 × 2496 canvas: the 1:1.6
e-reader stores ask for, within Apple Books' 4,000,000 pixels for an image in an EPUB.
Right-to-left issues are set right-aligned with the Naskh face.

Each character is drawn in the first face that has it (font fallback, as a browser does): the
script's own face, the theme's other faces, then a face of the machine's that fontconfig finds
for it. One face for a whole line left a box where it had no glyph (Noto Naskh Arabic has no
U+00B7 middle dot, which the Arabic dateline has).
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

from babel.dates import format_date

from masthead.model.issue import Issue
from masthead.render.theme import Theme, builtin_root
from masthead.runtime import i18n
from masthead.runtime.cache import Cache

WIDTH, HEIGHT = 1560, 2496
_S = WIDTH / 1600  # the layout below was drawn for 1600 px across


def _s(value: float) -> int:
    return round(value * _S)


MARGIN = 120
PAPER, INK, ACCENT, MUTED = (246, 241, 232), (24, 24, 28), (178, 34, 34), (92, 88, 84)
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
COVER_LINES = 4


def draw_cached(issue: Issue, theme: Theme, store: Cache) -> bytes:
    """:func:`draw`, remembered in ``store`` under everything it draws with: its texts, the
    theme's fonts, this module's code and Pillow's version."""
    return store.cached("covers", cache_key(issue, theme), lambda: draw(issue, theme)) or draw(issue, theme)


def is_cached(issue: Issue, theme: Theme, store: Cache) -> bool:
    return store.has("covers", cache_key(issue, theme))  # without reading the picture


def cache_key(issue: Issue, theme: Theme) -> str:
    import PIL

    from masthead.runtime import cache

    meta = issue.meta
    texts = [meta.publication, meta.title or "", meta.publisher or "", _dateline(issue, theme)]
    texts += [t for line in cover_lines(issue) for t in line if t]
    texts = [t[:_MAX_CHARS] for t in texts]  # what is drawn at most (_wrap, _fit)
    # the theme's faces, and the machine's that the texts fall back to
    fonts = [theme.find(name) for name in _FONTS + _SANS]
    fonts += sorted({face for text in texts for bold in (True, False) for _, face in runs(theme, text, bold)
                     if face is not None and face not in fonts}, key=str)
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


def draw(issue: Issue, theme: Theme, record: list | None = None) -> bytes:
    """The cover as PNG; ``record``, when given, gets each (text, font file) drawn."""
    from PIL import Image, ImageDraw  # Pillow is imported only when a cover is drawn

    meta = issue.meta
    rtl = meta.direction == "rtl"
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    pen = ImageDraw.Draw(image)
    text = functools.partial(_text, pen, theme, record=record)

    # The masthead: a band of colour with the publication's name as large as fits.
    pen.rectangle((0, 0, WIDTH, _s(560)), fill=ACCENT)
    width = WIDTH - 2 * _s(MARGIN)  # no line is wider: _wrap and _fit cut what would be (with "…")
    size = _s(220)
    while size > _s(60) and _length(theme, meta.publication, size, True) > width:
        size -= 8
    text(_fit(theme, meta.publication, size, True, width), size, True, (WIDTH // 2, _s(300)), (255, 255, 255), anchor="mm")

    text(_fit(theme, _dateline(issue, theme), _s(46), False, width), _s(46), False, (WIDTH // 2, _s(640)), MUTED,
         anchor="mm")
    y = _s(760)
    if meta.title:
        for line in _wrap(theme, meta.title, _s(96), True, width):
            text(line, _s(96), True, (WIDTH // 2, y), INK, anchor="ma")
            y += _s(116)
    y += _s(60)
    pen.line((_s(MARGIN), y, WIDTH - _s(MARGIN), y), fill=INK, width=4)
    y += _s(80)
    x, anchor = (WIDTH - _s(MARGIN), "ra") if rtl else (_s(MARGIN), "la")
    for kicker, title in cover_lines(issue):
        if y > HEIGHT - _s(420):
            break
        if kicker:
            text(_fit(theme, kicker.upper(), _s(40), True, width), _s(40), True, (x, y), ACCENT, anchor=anchor)
            y += _s(62)
        for line in _wrap(theme, title, _s(68), True, width)[:3]:
            text(line, _s(68), True, (x, y), INK, anchor=anchor)
            y += _s(84)
        y += _s(56)
    if meta.publisher:
        text(_fit(theme, meta.publisher, _s(38), False, width), _s(38), False, (WIDTH // 2, HEIGHT - _s(140)), MUTED,
             anchor="mm")
    out = io.BytesIO()
    _flat(image, Image.Quantize.FASTOCTREE, Image.Dither.NONE).save(out, "PNG", compress_level=6)  # level 9: far slower for a little less
    return out.getvalue()


def _flat(image, octree, no_dither):
    """The cover in 64 colours, without dithering: text edges stay clean, at a third of the size.

    The octree takes a fraction of median cut's time (bench/README.md); its
    palette averages the pixels each colour stands for, so the flat colours came out a level
    off (paper 245,240,231): each is set back exactly, in the entry that stands for it.
    """
    flat = image.quantize(colors=64, method=octree, dither=no_dither)
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


_SANS = ("fonts/NotoSans-Bold.ttf", "fonts/NotoSans-Regular.ttf")


def _rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _chain(theme: Theme, text: str, bold: bool) -> list[Path]:
    """The theme's faces in the order they are tried for ``text``: its script's first."""
    arabic = bool(_ARABIC.search(text))
    names = [_FONTS[2 * arabic + (not bold)], _FONTS[2 * (not arabic) + (not bold)], _SANS[not bold]]
    out = []
    for name in names:
        for path in (theme.find(name), builtin_root() / "default" / name):
            if path is not None and path.is_file() and _drawable(path):  # a damaged face: the next one
                out.append(path)
                break
    return out


@functools.lru_cache(maxsize=64)
def _drawable(path: Path) -> bool:
    """Can FreeType draw with this face? A damaged one fails here (its hinting, its tables),
    even when its character map reads; fonts.py warns of it."""
    from PIL import ImageFont

    try:
        ImageFont.truetype(str(path), 24).getmask("Aa\u0627")
        return True
    except (OSError, ValueError):
        return False


@functools.lru_cache(maxsize=64)
def cmap(path: Path) -> frozenset[int]:
    """The characters a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(str(path), lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception:  # noqa: BLE001 - not a font fontTools reads: it has nothing
        return frozenset()


@functools.lru_cache(maxsize=1024)
def _system_face(char: str) -> Path | None:
    """A face of the machine's that has ``char`` (fontconfig's choice), or None."""
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(["fc-match", "--format=%{file}", f":charset={ord(char):x}"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(found) if found else None
    return path if path is not None and path.suffix.lower() in (".ttf", ".otf") and ord(char) in cmap(path) else None


_JOINERS = "\u200c\u200d\ufe0e\ufe0f"


def runs(theme: Theme, text: str, bold: bool) -> list[tuple[str, Path | None]]:
    """``text`` cut where the face changes: each character in the first face that has it; a
    space, punctuation or a digit stays in the face of the run it is in when that face has it,
    and an accent or joiner with its letter. None: no face has it."""
    chain = _chain(theme, text, bold)
    out: list[list] = []  # [characters, face]: joined at the end (a string grown char by char is quadratic)
    for char in text:
        code = ord(char)
        current = out[-1][1] if out else None
        if out and (unicodedata.category(char)[0] == "M" or char in _JOINERS):
            out[-1][0].append(char)
            continue
        if current is not None and unicodedata.category(char)[0] in "ZPNS" and code in cmap(current):
            out[-1][0].append(char)
            continue
        face = next((p for p in chain if code in cmap(p)), None)
        if face is None and not char.isspace():
            face = _system_face(char)
        if face is None:
            face = current or (chain[0] if chain else None)
        if out and (face is current or face == current):
            out[-1][0].append(char)
        else:
            out.append([[char], face])
    out = [["".join(chars), face] for chars, face in out]
    return [(t, f) for t, f in out]


@functools.lru_cache(maxsize=256)
def _face(path: Path | None, size: int):
    from PIL import ImageFont, features  # Pillow is imported only when a cover is drawn

    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size, layout_engine=layout)
        except (OSError, ValueError):
            pass
    return ImageFont.load_default(size)


def _direction(text: str, line: str) -> str | None:
    """A run's direction: its own letters', or, with none (a dot, spaces), its line's."""
    from PIL import features

    if not features.check("raqm"):
        return None
    kinds = {unicodedata.bidirectional(c) for c in text}
    if kinds & {"R", "AL"}:
        return "rtl"
    return "ltr" if "L" in kinds or not _rtl(line) else "rtl"


def _font(theme: Theme, text: str, size: int, bold: bool):
    """The face a line of ``text`` starts in (its metrics place the line)."""
    chain = _chain(theme, text, bold)
    return _face(chain[0] if chain else None, size)


def _length(theme: Theme, text: str, size: int, bold: bool) -> float:
    return sum(_face(face, size).getlength(part, direction=_direction(part, text)) for part, face in runs(theme, text, bold))


def _text(pen, theme, text, size, bold, xy, fill, anchor, record: list | None = None) -> None:
    """``text`` set at ``xy`` as Pillow's ``anchor`` says (l/m/r across, a/m down), run by run,
    each in its face, on one baseline; the runs of a right-to-left line go right to left."""
    parts = runs(theme, text, bold)
    if record is not None:
        record.extend(parts)
    lengths = [_face(face, size).getlength(part, direction=_direction(part, text)) for part, face in parts]
    x, y = xy
    x -= {"l": 0, "m": sum(lengths) / 2, "r": sum(lengths)}[anchor[0]]
    ascent, descent = _font(theme, text, size, bold).getmetrics()
    baseline = y + (ascent if anchor[1] == "a" else (ascent - descent) / 2)
    order = list(zip(parts, lengths, strict=True))
    if _rtl(text):
        order.reverse()
    for (part, face), length in order:
        pen.text((x, baseline), part, font=_face(face, size), fill=fill, anchor="ls", direction=_direction(part, text))
        x += length


def _wrap(theme: Theme, text: str, size: int, bold: bool, width: int) -> list[str]:
    """``text`` in lines of ``width`` at most, broken between words; a word longer than a line cut to fit."""
    text = text[:_MAX_CHARS]  # three lines are drawn at most: a headline of a million letters is not read through
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and _length(theme, candidate, size, bold) > width:
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
    text = text[:_MAX_CHARS]
    if any(unicodedata.category(c)[0] == "M" for c in text):  # no letter's accents piled a page high
        kept, run = [], 0
        for c in text:
            run = run + 1 if unicodedata.category(c)[0] == "M" else 0
            if run <= _MARKS:
                kept.append(c)
        text = "".join(kept)
    if _length(theme, text, size, bold) <= width:
        return text
    low, high = 0, len(text) - 1  # the longest beginning that fits, found by halves
    while low < high:
        middle = (low + high + 1) // 2
        if _length(theme, text[:middle].rstrip() + "…", size, bold) <= width:
            low = middle
        else:
            high = middle - 1
    # not between a letter and its accents, nor inside a joined emoji
    while low and (unicodedata.category(text[low])[0] == "M" or text[low] in "\u200d\ufe0e\ufe0f"
                   or text[low - 1] == "\u200d"):
        low -= 1
    return text[:low].rstrip() + "…"
