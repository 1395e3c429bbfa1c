"""The theme's fonts: @font-face rules, and subsets for the EPUB.

The theme lists its fonts in ``theme.yaml``. The PDF gets them whole (WeasyPrint subsets on
its own); the EPUB gets each font cut down with fontTools to the characters its documents use,
which takes a 600 KB face to a few dozen KB, and leaves out a face no character needs.
"""

from __future__ import annotations

import array
import io
import string
from pathlib import Path
from typing import NamedTuple

import yaml

from masthead import cache, workers
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


def resources(theme: Theme, epub_text: str | None, jobs: int | None = None) -> list[Resource]:
    """Fonts and a css/fonts.css for each output; ``epub_text`` None leaves the EPUB without fonts."""
    out: list[Resource] = []
    print_faces: list[Face] = []
    wanted: list[tuple[Face, bytes]] = []
    for face in faces(theme):
        path = theme.find(face.file)
        if path is None:
            continue
        data = path.read_bytes()
        out.append(Resource(face.file, _media_type(face.file), data, _PDF))
        print_faces.append(face)
        wanted.append((face, data))
    out.append(Resource("css/fonts.css", "text/css", font_face_css(print_faces).encode(), _PDF))
    if epub_text is not None:
        cuts = subsets([data for _, data in wanted], _rounded(epub_text), jobs)
        epub_faces = []
        for (face, _), cut in zip(wanted, cuts):
            if cut is not None:
                out.append(Resource(face.file, _media_type(face.file), cut, _EPUB))
                epub_faces.append(face)
        out.append(Resource("css/fonts.css", "text/css", font_face_css(epub_faces).encode(), _EPUB))
    return out


def subsets(fonts: list[bytes], chars: frozenset[str], jobs: int | None = None) -> list[bytes | None]:
    """Each font cut to ``chars`` (None for a face with none of their letters).

    From the cache when it can be; the others in parallel processes when there are several,
    since each takes ~0.25 s of fontTools and they do not depend on one another.
    """
    keys, found = [], []
    for data in fonts:
        codes = {ord(c) for c in chars} & _cmap(data)
        text = "".join(chr(c) for c in sorted(codes))
        keys.append(cache.key(data, text, cache.package_stamp("fontTools"), "default-features,no-hinting"))
        found.append(cache.get("fonts", keys[-1]))  # b"": no letter of the text in this face
    missing = [i for i, value in enumerate(found) if value is None]
    workers_ = workers.count(jobs, len(missing))
    if workers_ > 1:
        with workers.pool(workers_, ["masthead.fonts"]) as pool:
            fresh = list(pool.map(_subset, [fonts[i] for i in missing], [chars] * len(missing)))
    else:
        fresh = [_subset(fonts[i], chars) for i in missing]
    for i, value in zip(missing, fresh):
        found[i] = value or b""
        cache.put("fonts", keys[i], found[i])
    return [value or None for value in found]


def _cmap(data: bytes) -> frozenset[int]:
    """The code points a font has, remembered by the font's hash (reading a cmap needs fontTools)."""
    key = cache.key(data, cache.package_stamp("fontTools"), "cmap")
    stored = cache.get("cmaps", key)
    if stored is None:
        from fontTools.ttLib import TTFont

        cmap = TTFont(io.BytesIO(data), lazy=True).getBestCmap() or {}
        stored = array.array("I", sorted(cmap)).tobytes()
        cache.put("cmaps", key, stored)
    return frozenset(array.array("I", stored))


def _rounded(text: str) -> frozenset[str]:
    """The characters of ``text``, each with the 128 code points around it.

    Subsetting costs ~0.25 s a face; rounded up this way, the next issue in the same scripts
    (or an article edited to add an "é") asks for the same subset and finds it in the cache.
    It costs a few KB a face: a block of Latin letters, not just the ones used.
    """
    blocks = {ord(c) >> 7 for c in set(text)}
    return frozenset(chr(c) for block in blocks for c in range(block << 7, (block + 1) << 7)
                     if not 0xD800 <= c <= 0xDFFF)


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


def _subset(data: bytes, chars: frozenset[str]) -> bytes | None:
    from fontTools import subset  # ~0.15 s to import: paid only when the cache has no subset
    from fontTools.ttLib import TTFont

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
