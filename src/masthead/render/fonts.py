"""The theme's fonts: @font-face rules, and subsets for the EPUB.

The theme lists its fonts in ``theme.yaml``. The PDF gets them whole (WeasyPrint subsets on
its own); the EPUB gets each font cut down to the characters its documents use, which takes a
600 KB face to a few dozen KB, and leaves out a face no character needs.

Cutting is HarfBuzz's subsetter (uharfbuzz), the one browsers' font services run: hundreds of
times faster than fontTools' pure-Python subsetter (bench/README.md). Each build
cuts every face to exactly the characters it uses; the cuts are cached by the face's bytes
and those characters all the same, because importing HarfBuzz costs more than cutting (~20
ms): a rebuild whose characters did not change needs no HarfBuzz at all.
"""

from __future__ import annotations

import hashlib
import string

from masthead.diagnostics import Position, Report
from masthead.model.documents import EPUB, PDF, Resource
from masthead.render.theme import Face, Theme
from masthead.runtime import cache, confine
from masthead.runtime.cache import Cache

# Characters the stylesheets and readers may show beyond the documents' text.
_ALWAYS = frozenset(string.printable) | frozenset("“”‘’–—…·•→←\u00a0\u202f\u2009\u200b\u2060")


def resources(theme: Theme, chars: frozenset[str] | None, report: Report | None = None,
              store: Cache | None = None) -> list[Resource]:
    """Fonts and a css/fonts.css for each output: the EPUB's cut to ``chars``, the characters
    its documents show; ``chars`` None leaves the EPUB without fonts. A file that is no font
    is left out of both, with a warning to ``report``. ``store``: the run's cache of cuts."""
    store = store or Cache(None)
    out: list[Resource] = []
    print_faces: list[Face] = []
    epub_faces: list[Face] = []
    for face in theme.faces:  # read and checked with the theme (theme.py)
        path = theme.find(face.file)
        if path is None:
            continue
        try:
            data = confine.read_input(path, confine.FONT_LIMIT)
        except OSError as exc:
            if report is not None:
                report.warning(Position(path), f"cannot read the font: {exc.strerror}: the issue is set without "
                                               f"{face.family} {face.weight} {face.style}")
            continue
        digest = hashlib.sha256(data).digest()  # once: both cache keys name the face by it
        if not _readable(data, digest, store, deep=chars is not None):
            if report is not None:
                report.warning(Position(path), f"not a font HarfBuzz can read (a web page saved under a font's "
                                               f"name, a truncated download?): the issue is set without "
                                               f"{face.family} {face.weight} {face.style}")
            continue
        cut = _cut(data, chars, store, digest) if chars is not None else None
        if face.file not in (f.file for f in print_faces):  # one file for two faces goes in once
            out.append(Resource(face.file, _media_type(face.file), data, PDF))
            if cut is not None:
                out.append(Resource(face.file, _media_type(face.file), cut, EPUB))
        print_faces.append(face)
        if cut is not None:
            epub_faces.append(face)
    out.append(Resource("css/fonts.css", "text/css", font_face_css(print_faces).encode(), PDF))
    if chars is not None:
        out.append(Resource("css/fonts.css", "text/css", font_face_css(epub_faces).encode(), EPUB))
    return out


def _cut(data: bytes, chars: frozenset[str], store: Cache, digest: bytes | None = None) -> bytes | None:
    """:func:`subset`, from the cache when this face was cut to these characters before."""
    # chars, not chars | _ALWAYS: whether a face is needed at all depends on chars alone
    digest = digest or hashlib.sha256(data).digest()
    key = cache.key("subset", cache.package_stamp("uharfbuzz"), digest, "".join(sorted(chars)))
    return store.cached("fonts", key, lambda: subset(data, chars) or b"") or None  # b"": face not needed


def _readable(data: bytes, digest: bytes, store: Cache, deep: bool = True) -> bool:
    """Is it a font with glyphs and a character map? Asked once per file's bytes (the cache).
    Not ``deep``: its signature only, where nothing else would start HarfBuzz (no EPUB fonts)."""
    if data[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf", b"wOFF", b"wOF2"):
        return False  # not even a font's signature: no need to start HarfBuzz
    if not deep:
        return True

    def check() -> bytes:
        import uharfbuzz as hb

        face = hb.Face(data)
        return b"1" if face.glyph_count > 1 and face.unicodes else b"0"

    return store.cached("fonts", cache.key("readable", cache.package_stamp("uharfbuzz"), digest),
                        check) == b"1"


def subset(data: bytes, chars: frozenset[str]) -> bytes | None:
    """The font cut to ``chars`` (and _ALWAYS); None for a face with none of their letters.

    Layout features stay as HarfBuzz keeps them by default (kerning, ligatures, the Arabic
    joining forms); hinting goes (e-readers rasterize at high resolution: hints only add
    weight); every name record stays (the OFL asks that the licence name go along).
    """
    import uharfbuzz as hb  # imported here: only a build with embedded fonts needs it

    face = hb.Face(data)
    has = face.unicodes
    if not any(ch.isalpha() and ord(ch) in has for ch in chars):
        return None  # a face for a script the issue does not use
    wanted = hb.SubsetInput()
    wanted.unicode_set.update(ord(ch) for ch in chars | _ALWAYS if ord(ch) in has)
    wanted.sets(hb.SubsetInputSets.NAME_ID).add_range(0, 0x7FFF)  # every name (the default keeps 0–6)
    wanted.flags = hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.NOTDEF_OUTLINE
    try:
        return bytes(hb.subset(face, wanted).blob.data)
    except RuntimeError:  # a face HarfBuzz reads but cannot cut: whole is heavier, not wrong
        return data


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


def _media_type(name: str) -> str:
    return "font/otf" if name.endswith(".otf") else "font/ttf"
