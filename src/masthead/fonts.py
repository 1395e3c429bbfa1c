"""The theme's fonts: @font-face rules, and subsets for the EPUB.

The theme lists its fonts in ``theme.yaml``. The PDF gets them whole (WeasyPrint subsets on
its own); the EPUB gets each font cut down with fontTools to the characters its documents use,
which takes a 600 KB face to a few dozen KB, and leaves out a face no character needs.
"""

from __future__ import annotations

import io
import string
from pathlib import Path
from typing import NamedTuple

import fontTools
import yaml
from fontTools import subset
from fontTools.ttLib import TTFont

from masthead import cache
from masthead.rendered import Resource
from masthead.theme import Theme

# Characters the stylesheets and readers may show beyond the documents' text.
_ALWAYS = set(string.printable) | set("“”‘’–—…·•→←\u00a0\u202f\u2009\u200b\u2060")
_EPUB, _PDF = frozenset({"epub"}), frozenset({"pdf"})


class Face(NamedTuple):
    family: str
    file: str  # "fonts/NotoSerif-Regular.ttf", relative to the theme folder
    weight: int
    style: str


def faces(theme: Theme) -> list[Face]:
    theme_yaml = theme.find("theme.yaml")
    data = yaml.safe_load(theme_yaml.read_text("utf-8")) if theme_yaml else {}
    out = []
    for item in (data or {}).get("fonts") or []:
        out.append(Face(str(item["family"]), str(item["file"]), int(item.get("weight", 400)), str(item.get("style", "normal"))))
    return out


def resources(theme: Theme, epub_text: str | None, print_text: str) -> list[Resource]:
    """Fonts and a css/fonts.css for each output; ``epub_text`` None leaves the EPUB without fonts."""
    out: list[Resource] = []
    print_faces, epub_faces = [], []
    epub_chars = frozenset(epub_text or "")
    for face in faces(theme):
        path = theme.find(face.file)
        if path is None:
            continue
        data = path.read_bytes()
        out.append(Resource(face.file, _media_type(face.file), data, _PDF))
        print_faces.append(face)
        if epub_text is not None:
            cut = subset_font(path, frozenset(epub_chars))
            if cut is not None:
                out.append(Resource(face.file, _media_type(face.file), cut, _EPUB))
                epub_faces.append(face)
    out.append(Resource("css/fonts.css", "text/css", font_face_css(print_faces).encode(), _PDF))
    if epub_text is not None:
        out.append(Resource("css/fonts.css", "text/css", font_face_css(epub_faces).encode(), _EPUB))
    return out


def font_face_css(faces_: list[Face]) -> str:
    rules = []
    for face in faces_:
        rules.append(
            "@font-face {\n"
            f'  font-family: "{face.family}";\n'
            f"  font-weight: {face.weight};\n"
            f"  font-style: {face.style};\n"
            f'  src: url("../{face.file}");\n'
            "}\n"
        )
    return "/* Written by masthead from the theme's theme.yaml. */\n" + "".join(rules)


def subset_font(path: Path, chars: frozenset[str]) -> bytes | None:
    """The font cut to ``chars`` (plus the basics); None when it has none of their letters."""
    data = path.read_bytes()
    text = "".join(sorted(chars))
    key = cache.key(data, text, fontTools.version, "default-features,no-hinting")
    return cache.cached("fonts", key, lambda: _subset(data, chars))


def _subset(data: bytes, chars: frozenset[str]) -> bytes | None:
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)  # keep head.modified: same input, same bytes
    cmap = font.getBestCmap() or {}
    if not any(chr(c).isalpha() for c in {ord(ch) for ch in chars} & set(cmap)):
        return None  # a face for a script the issue does not use
    options = subset.Options()  # the default features keep kerning, ligatures, Arabic joining
    options.hinting = False  # e-readers rasterize at high resolution; hints only add weight
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in chars | _ALWAYS} & set(cmap)))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _media_type(name: str) -> str:
    return "font/otf" if name.endswith(".otf") else "font/ttf"
