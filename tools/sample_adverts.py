#!/usr/bin/env python3
"""Draws the sample issue's two adverts (issues/lantern-2025-11-28/images/advert-*.png) with
Pillow and the default theme's fonts: flat colours, so the PNGs stay small, at A4 with 3 mm of
bleed at 300 ppi and a little over (216 × 303 mm is 2551.2 × 3578.7 px: 2551 × 3579 prints at
299.98 ppi), what `masthead preflight` wants of a full-bleed page.

    .venv/bin/python tools/sample_adverts.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "templates" / "default" / "fonts"
OUT = ROOT / "issues" / "lantern-2025-11-28" / "images"
SIZE = (2560, 3592)  # A4 (210 × 297 mm) and 3 mm of bleed each side, at 300 ppi and a little over


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, fill: str) -> None:
    width = draw.textlength(text, font=font)
    draw.text(((SIZE[0] - width) / 2, y), text, font=font, fill=fill)


def ferries() -> Image.Image:
    """A night ferry under a moon: Alderport Ferries' full page."""
    image = Image.new("RGB", SIZE, "#0f2438")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 2350, SIZE[0], SIZE[1]), fill="#0a1a29")  # the sea
    draw.ellipse((1650, 420, 2150, 920), fill="#f3e6b5")  # the moon
    for y in range(2420, 3000, 90):  # its light on the water
        draw.rectangle((1780 - (y - 2420) // 8, y, 2020 + (y - 2420) // 8, y + 18), fill="#f3e6b5")
    draw.polygon([(420, 2350), (2130, 2350), (1980, 2520), (560, 2520)], fill="#e8e2d4")  # the hull
    draw.rectangle((760, 2180, 1780, 2350), fill="#e8e2d4")  # the deck house
    for x in range(820, 1740, 120):  # lit windows
        draw.rectangle((x, 2230, x + 70, 2290), fill="#f5c542")
    draw.rectangle((1200, 1990, 1300, 2180), fill="#c0392b")  # the funnel
    _centred(draw, 1150, "ALDERPORT FERRIES", _font("NotoSans-Bold.ttf", 150), "#f3e6b5")
    _centred(draw, 1380, "The night boat to the islands", _font("NotoSerif-Italic.ttf", 120), "#ffffff")
    _centred(draw, 1560, "every hour until 2 a.m.", _font("NotoSerif-Italic.ttf", 120), "#ffffff")
    _centred(draw, 3200, "ferries.example", _font("NotoSans-Regular.ttf", 90), "#f3e6b5")
    return image


def bookshop() -> Image.Image:
    """A lit shop window: Harbour Books' inside back cover."""
    image = Image.new("RGB", SIZE, "#f6f1e8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((330, 700, 2220, 2500), fill="#b22222")  # the shop front
    draw.rectangle((470, 860, 2080, 2180), fill="#f5c542")  # its lit window
    for n, x in enumerate(range(560, 1980, 110)):  # books on a shelf
        draw.rectangle((x, 1700 + (n % 3) * 40, x + 80, 2180), fill=("#18181c", "#1f4e79", "#5c5854")[n % 3])
    draw.rectangle((470, 2180, 2080, 2230), fill="#18181c")  # the shelf
    _centred(draw, 260, "HARBOUR BOOKS", _font("NotoSerif-Bold.ttf", 170), "#18181c")
    _centred(draw, 2700, "Open till midnight on Quay Street", _font("NotoSerif-Regular.ttf", 110), "#18181c")
    _centred(draw, 2880, "for readers who keep late hours", _font("NotoSerif-Italic.ttf", 110), "#5c5854")
    _centred(draw, 3220, "shop@harbourbooks.example", _font("NotoSans-Regular.ttf", 90), "#b22222")
    return image


def main() -> None:
    for name, draw in (("advert-ferries.png", ferries), ("advert-bookshop.png", bookshop)):
        path = OUT / name
        # flat colours: a palette keeps the file small (the text's edges keep their shades)
        draw().quantize(64, dither=Image.Dither.NONE).save(path, optimize=True)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
