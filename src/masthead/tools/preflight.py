"""``masthead preflight``: what a print shop checks in a PDF before it plates it.

:func:`check_pdf` reads a PDF with pikepdf (qpdf) and walks each page's content stream, and
the forms it draws, keeping the graphics state a PDF reader keeps (``q``/``Q``, ``cm``, ``w``),
so that each image and line is measured as it prints. It knows the job from the manifest
(:class:`Job`: CMYK or not, the bleed asked for, the PDF/X variant) and finds:

- page boxes: a TrimBox on every page, a BleedBox around it that reaches the bleed the
  manifest asks for (none asked for: a warning for a press job; pictures to the edge need it);
- fonts: every font embedded (its program in the file) and subset (``ABCDEF+Name``);
- images: the effective resolution where each prints, from the current transformation matrix
  at its ``Do`` (error under 150 ppi, warning under 300);
- RGB in a CMYK job: images in an RGB colour space, ``rg``/``RG`` and ``cs /DeviceRGB`` in
  content streams (an ICC-based colour space of three components counts as RGB);
- spot colours: Separation and DeviceN colour spaces (each prints on a plate of its own);
- transparency in a PDF/X-1a or X-3 job (PDF/X-1a:2003 and X-3:2003 forbid it): soft masks,
  ``ca``/``CA`` under 1 and blend modes other than Normal in ExtGStates, images with an SMask;
- gradients whose function gives more or fewer colour components than their colour space has
  (WeasyPrint 70's own gradients in a CMYK job: drawn as nothing);
- hairlines: lines stroked under 0.25 pt wide, after scaling (0 is the device's thinnest).

A content stream (a page's, a form's, a tiling pattern's) is measured before it is parsed:
deflated, it is inflated a chunk at a time and counted, none of it kept (:func:`_inflated`);
one that inflates to more than MAX_CONTENT_BYTES is an error finding, not read (a 510 KB
file held a stream of 1 GB). Images are never decoded: their dictionaries say all it checks.
Its operators and operands are then counted on the bytes (:func:`_operator_count`): a stream
of more than MAX_STREAM_OPERATORS or MAX_STREAM_OBJECTS is an error finding, not parsed (pikepdf
holds every operator it parses: 16 KB of ``q`` took 3 GB); ``q`` nests MAX_NESTING deep at most.
The work is bounded: a stream (a form drawn 1,000 times …) walked again in the same state is
not walked again, what it found is reused; operators walked are budgeted for a page and for
the document, and what is over the budget is an error finding naming the pages not checked.

A finding is ``(pages, severity, check, message)``; the same finding on many pages is one
finding listing them. :func:`of_issue` lays out the issue's PDF through the pipeline first.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from masthead.diagnostics import MastheadError

if TYPE_CHECKING:
    from masthead.model.issue import IssueMeta
    from masthead.pipeline import Pipeline

ERROR, WARNING = "error", "warning"
MIN_PPI, GOOD_PPI = 150, 300  # under MIN_PPI an error, under GOOD_PPI a warning
HAIRLINE_PT = 0.25
BOX_TOLERANCE_PT = 0.1  # page boxes are written rounded
_TRANSPARENT_VARIANTS = ("pdf/x-1a", "pdf/x-3")  # PDF/X-4 and later allow live transparency
_RGB_OPERATORS = {"rg": "fill", "RG": "stroke"}
_STROKES = {"S", "s", "B", "B*", "b", "b*"}
MAX_PDF_BYTES = 2 * 1024**3  # a PDF given with --pdf: a book's press PDF with its pictures is a few hundred MB
MAX_FORM_DEPTH = 12  # forms drawing forms: a loop would never end
# One content stream decoded (a page's streams together): a dense page of text is ~50 KB, a
# detailed map a few MB; parsed, each byte costs some 30 in operators held, so 16 MB is ~500 MB.
MAX_CONTENT_BYTES = 16 * 1024**2
_CHUNK = 1024**2  # inflated at a time, then counted and let go
# Operators: counted on a stream's bytes before it is parsed (pikepdf holds every operator parsed,
# ~500 bytes each: 250,000 is ~130 MB); a dense page of text is ~20,000, a detailed map ~100,000.
MAX_STREAM_OPERATORS = 250_000
MAX_STREAM_OBJECTS = 800_000  # operators and operands (an array of 8 M numbers took 1.2 GB): ~220 bytes each
MAX_NESTING = 64  # q within q: PDF's own limit is 28
# Work: operators walked (a form drawn again at the same place is walked once and its findings
# reused). A 1,500-page book of 20,000 operators a page is 30 M; walked at ~300,000 a second.
MAX_PAGE_OPERATORS = 3_000_000
MAX_DOCUMENT_OPERATORS = 60_000_000
# What a filter that cannot be inflated a chunk at a time (here) may make of each byte, at most:
# LZW's 12-bit codes name strings of up to 4,096 bytes, RunLength repeats a byte 128 times for 2.
_GROWTH = {"/ASCIIHexDecode": 1.0, "/AHx": 1.0, "/ASCII85Decode": 1.0, "/A85": 1.0, "/FlateDecode": 1032.0,
           "/Fl": 1032.0, "/RunLengthDecode": 64.0, "/RL": 64.0, "/LZWDecode": 2731.0, "/LZW": 2731.0}


class NotAPdf(MastheadError):
    """``--pdf`` named a file that is no readable PDF."""


class _PageTooComplex(Exception):
    pass


class _DocumentTooComplex(Exception):
    pass


class _Budget:
    """Operators left to walk in the document, and in the page being walked."""

    def __init__(self) -> None:
        self.document = MAX_DOCUMENT_OPERATORS
        self.page = MAX_PAGE_OPERATORS

    def charge(self, operators: int) -> None:
        self.document -= operators
        self.page -= operators
        if self.document < 0:
            raise _DocumentTooComplex
        if self.page < 0:
            raise _PageTooComplex


class Job(NamedTuple):
    """What the PDF is for, as the manifest says."""

    cmyk: bool = False
    bleed_pt: float | None = None  # the bleed asked for, in points; None: none
    variant: str | None = None  # the PDF standard, "pdf/x-4" …

    @property
    def press(self) -> bool:
        return self.cmyk or bool(self.variant and self.variant.startswith("pdf/x"))

    @classmethod
    def of(cls, meta: IssueMeta) -> Job:
        from masthead.model.issue import length_mm

        pdf = meta.pdf
        bleed = length_mm(pdf.bleed) * 72 / 25.4 if pdf.bleed else None
        variant = pdf.variant or ("pdf/x-4" if pdf.color == "cmyk" else None)
        return cls(pdf.color == "cmyk", bleed, variant)


class Finding(NamedTuple):
    pages: tuple[int, ...]  # 1-based; () for the document as a whole
    severity: str  # ERROR or WARNING
    check: str  # "boxes", "fonts", "resolution", "rgb", "spot", "transparency", "hairline"
    message: str

    def line(self) -> str:
        return f"{_pages(self.pages)}: {self.severity}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"pages": list(self.pages), "severity": self.severity, "check": self.check, "message": self.message}


def _pages(pages: tuple[int, ...]) -> str:
    if not pages:
        return "document"
    if len(pages) == 1:
        return f"page {pages[0]}"
    runs: list[str] = []
    start = previous = pages[0]
    for page in (*pages[1:], None):
        if page is not None and page == previous + 1:
            previous = page
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if page is not None:
            start = previous = page
    return f"pages {','.join(runs)}"


# ---------------------------------------------------------------------------- the checks


def check_pdf(data: bytes, job: Job) -> list[Finding]:
    """Every finding in the PDF ``data`` for ``job``, errors first, then by page."""
    import pikepdf

    found: dict[tuple[str, str, str], list[int]] = {}

    def add(page: int, severity: str, check: str, message: str) -> None:
        pages = found.setdefault((severity, check, message), [])
        if page not in pages:
            pages.append(page)

    try:
        opened = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise NotAPdf("an encrypted PDF: a press job cannot be; save it without a password") from None
    except pikepdf.PdfError as exc:
        raise NotAPdf(f"not a PDF that can be read ({re.sub(r'<_io.BytesIO object at 0x[0-9a-f]+>', 'the file', str(exc))})") from None
    try:
        _check_pages(opened, job, add)
    except (pikepdf.PdfError, KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError) as exc:
        # A PDF no maker writes (a colour space, box or resource of the wrong type …): named, no traceback.
        raise NotAPdf(f"a PDF whose structure is damaged or malformed ({type(exc).__name__}: {exc})") from None
    finally:
        opened.close()
    findings = [Finding(tuple(sorted(pages)), severity, check, message) for (severity, check, message), pages in found.items()]
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.pages or (0,), f.check, f.message))


def _check_pages(pdf, job: Job, add) -> None:
    import pikepdf

    budget = _Budget()
    memo: dict[Any, Any] = {}
    count = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        walker = _Walker(number, job, add, budget, memo)
        budget.page = MAX_PAGE_OPERATORS
        try:
            walker.walk(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), _IDENTITY, 0)
        except _PageTooComplex:
            add(number, ERROR, "complexity", f"too complex to check: it draws more than {MAX_PAGE_OPERATORS:,} "
                                             "operators (forms drawn included); what it draws is not all checked")
        except _DocumentTooComplex:
            for unchecked in range(number, count + 1):
                add(unchecked, ERROR, "complexity", f"too complex to check: the document draws more than "
                                                    f"{MAX_DOCUMENT_OPERATORS:,} operators in all (forms drawn "
                                                    "included); these pages are not checked")
            return
        _boxes(page, number, job, add)
        for font in walker.fonts:
            _font(font, number, add)
        if walker.hairline is not None:
            add(number, WARNING, "hairline", f"a line stroked {walker.hairline:.2g} pt wide, under {HAIRLINE_PT} pt: "
                                             "it may break up or vanish on the plate")
        for operator in sorted(walker.rgb_operators):  # one finding for every page it is on
            add(number, ERROR, "rgb", f"colours set in RGB ({operator}) in a CMYK job")


_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    """m × n: the matrix ``m`` (as ``cm`` gives it) applied in the space ``n`` stands for."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


class _Walker:
    """One page's content, and the forms it draws, walked with the graphics state's CTM and width."""

    def __init__(self, page: int, job: Job, add, budget: _Budget | None = None, memo: dict | None = None) -> None:
        self.page, self.job, self._page_add = page, job, add
        self.budget = budget or _Budget()
        # What a stream walked in a given state found (its findings, fonts, thinnest line, RGB
        # operators), by (stream, resources, CTM, depth): drawn again, the findings are reused.
        self.memo: dict[Any, dict[Any, tuple[str, Any]]] = {} if memo is None else memo
        self._recording: list[dict[Any, tuple[str, Any]]] = []
        self.fonts: list[Any] = []
        self._font_keys: set[Any] = set()
        self.hairline: float | None = None  # the thinnest stroke under HAIRLINE_PT
        self.rgb_operators: dict[str, int] = {}
        self._seen_states: set[tuple[int, int]] = set()
        self._seen_spaces: set[str] = set()
        self._seen_patterns: set[tuple[int, int]] = set()

    def _emit(self, kind: str, value: Any) -> None:
        """Something found: kept for the page, and for every stream being walked (to reuse)."""
        # Each thing found is kept once (a form drawn 1,000 times adds its findings once).
        once = (kind, _font_key(value) if kind == "font" else None if kind == "hairline" else value)
        for record in self._recording:
            kept = record.setdefault(once, (kind, value))
            if kind == "hairline" and value < kept[1]:  # the thinnest is all that is said
                record[once] = (kind, value)
        if kind == "add":
            self._page_add(self.page, *value)
        elif kind == "font":
            if once[1] not in self._font_keys:
                self._font_keys.add(once[1])
                self.fonts.append(value)
        elif kind == "hairline":
            if self.hairline is None or value < self.hairline:
                self.hairline = value
        else:
            self.rgb_operators[value] = self.rgb_operators.get(value, 0) + 1

    def add(self, page: int, severity: str, check: str, message: str) -> None:
        self._emit("add", (severity, check, message))

    def walk(self, content, resources, ctm: tuple[float, ...], depth: int) -> None:
        key = _memo_key(content, resources, ctm, depth)
        if key is not None and key in self.memo:
            self.budget.charge(1)
            for kind, value in self.memo[key].values():
                self._emit(kind, value)
            return
        record: dict[Any, tuple[str, Any]] = {}
        self._recording.append(record)
        try:
            self._walk(content, resources, ctm, depth)
        finally:
            self._recording.pop()
        if key is not None:
            self.memo[key] = record

    def _walk(self, content, resources, ctm: tuple[float, ...], depth: int) -> None:
        import pikepdf

        if depth > MAX_FORM_DEPTH:  # said, not passed over in silence: what is deeper is not checked
            self.add(self.page, WARNING, "depth", f"forms drawn within forms more than {MAX_FORM_DEPTH} deep: "
                                                  "what they draw is not checked")
            return
        stack: list[tuple[tuple[float, ...], float]] = []
        width = 1.0
        if _decoded_size(content) > MAX_CONTENT_BYTES:
            whose = "the page's content" if depth == 0 else "content drawn by a form or pattern"
            self.add(self.page, ERROR, "content", f"{whose} inflates to more than {MAX_CONTENT_BYTES // 1024**2} MB: "
                                                  "what it draws is not checked")
            return
        operators, objects = _operator_count(content)
        if operators > MAX_STREAM_OPERATORS or objects > MAX_STREAM_OBJECTS:
            whose = "the page's content" if depth == 0 else "content drawn by a form or pattern"
            what = f"{MAX_STREAM_OPERATORS:,} operators" if operators > MAX_STREAM_OPERATORS else \
                f"{MAX_STREAM_OBJECTS:,} operators and operands"
            self.add(self.page, ERROR, "content", f"{whose} holds more than {what}: what it draws is not checked")
            return
        self.budget.charge(operators)
        try:
            instructions = pikepdf.parse_content_stream(content)
        except pikepdf.PdfError as exc:
            self.add(self.page, ERROR, "content", f"the page's content cannot be read: {exc}")
            return
        walked = 0
        for instruction in instructions:
            walked += 1
            if walked > operators:  # counted short (operators the count missed): charged as walked
                self.budget.charge(1)
            operator = str(instruction.operator)
            operands = list(instruction.operands) if not isinstance(instruction, pikepdf.ContentStreamInlineImage) else []
            if operator == "q":
                if len(stack) >= MAX_NESTING:
                    self.add(self.page, ERROR, "content", f"graphics states (q) nested more than {MAX_NESTING} deep: "
                                                          "what is drawn past that is not checked")
                    return
                stack.append((ctm, width))
            elif operator == "Q" and stack:
                ctm, width = stack.pop()
            elif operator == "cm" and len(operands) == 6:
                ctm = _multiply(tuple(float(x) for x in operands), ctm)
            elif operator == "w" and operands:
                width = float(operands[0])
            elif operator in _STROKES:
                scaled = width * math.sqrt(abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]))
                if scaled < HAIRLINE_PT and (self.hairline is None or scaled < self.hairline):
                    self._emit("hairline", scaled)
            elif operator == "Tf" and operands:  # a font, where text is set in it
                font = resources.get("/Font", {}).get(str(operands[0]))
                if font is not None:
                    self._emit("font", font)
            elif operator == "sh" and operands:
                shading = resources.get("/Shading", {}).get(str(operands[0]))
                if shading is not None:
                    self._shading(shading, "a shading")
            elif operator in ("scn", "SCN") and operands and isinstance(operands[-1], pikepdf.Name):
                pattern = resources.get("/Pattern", {}).get(str(operands[-1]))
                if pattern is not None:
                    self._pattern(pattern, ctm, depth)
            elif operator == "gs" and operands:  # a graphics state, where it is used
                state = resources.get("/ExtGState", {}).get(str(operands[0]))
                if state is not None:
                    self._state(state)
            elif operator in _RGB_OPERATORS and self.job.cmyk:
                self._emit("rgb", operator)
            elif operator in ("cs", "CS") and operands:
                name = str(operands[0])
                space = _lookup(resources, name)
                if self.job.cmyk and _is_rgb(space):
                    self._emit("rgb", f"{operator} {name}")
                self._space(space, f"colour space {name}", rgb_reported=True)
            elif operator == "Do" and operands:
                xobject = resources.get("/XObject", {}).get(str(operands[0]))
                if xobject is None:
                    continue
                if xobject.get("/Subtype") == "/Image":
                    self._image(xobject, ctm)
                elif xobject.get("/Subtype") == "/Form":
                    matrix = tuple(float(x) for x in xobject.get("/Matrix", _IDENTITY))
                    self.walk(xobject, xobject.get("/Resources", resources), _multiply(matrix, ctm), depth + 1)
            elif operator == "BI" or isinstance(instruction, pikepdf.ContentStreamInlineImage):
                self._inline_image(instruction, ctm)

    def _pattern(self, pattern, ctm: tuple[float, ...], depth: int) -> None:
        import pikepdf

        if "/Shading" in pattern:
            self._shading(pattern.Shading, "a shading pattern")
        elif int(pattern.get("/PatternType", 0)) == 1 and pattern.objgen not in self._seen_patterns:
            self._seen_patterns.add(pattern.objgen)  # a tiling pattern draws with its own content
            matrix = tuple(float(x) for x in pattern.get("/Matrix", _IDENTITY))
            self.walk(pattern, pattern.get("/Resources", pikepdf.Dictionary()), _multiply(matrix, ctm), depth + 1)

    def _shading(self, shading, what: str) -> None:
        """A gradient: its colour space, and whether its function gives as many colour
        components as that space has (WeasyPrint 70 writes a gradient's RGB colours into
        DeviceCMYK when the output intent is CMYK: readers draw it as nothing)."""
        space = shading.get("/ColorSpace")
        self._space(space, what)
        wanted = _components(space)
        given = _outputs(shading.get("/Function"))
        if wanted and given and given != wanted:
            self.add(self.page, ERROR, "shading", f"{what} gives {given} colour components to its {wanted}-component "
                                                  f"colour space {_family(space)[1:]}: it prints wrong or not at all")

    def _image(self, image, ctm: tuple[float, ...]) -> None:
        width_px, height_px = int(image.get("/Width", 0)), int(image.get("/Height", 0))
        name = f"the image of {width_px}×{height_px} px"
        self._resolution(width_px, height_px, ctm, name)
        if image.get("/ImageMask") is True:
            return
        space = image.get("/ColorSpace")
        if self.job.cmyk and _is_rgb(space):
            self.add(self.page, ERROR, "rgb", f"{name} is RGB ({_family(space)[1:]}) in a CMYK job")
        self._space(space, name, rgb_reported=True)
        if "/SMask" in image and self.job.variant in _TRANSPARENT_VARIANTS:
            self.add(self.page, ERROR, "transparency", f"{name} has a soft mask (transparency), "
                                                        f"which {_standard(self.job.variant)} forbids")

    def _inline_image(self, instruction, ctm: tuple[float, ...]) -> None:
        image = getattr(instruction, "iimage", None)
        if image is None:
            return
        self._resolution(int(image.width), int(image.height), ctm, f"an inline image of {image.width}×{image.height} px")
        if self.job.cmyk and str(getattr(image, "colorspace", "")) in ("/DeviceRGB", "/RGB"):
            self.add(self.page, ERROR, "rgb", "an inline image is RGB in a CMYK job")

    def _resolution(self, width_px: int, height_px: int, ctm: tuple[float, ...], name: str) -> None:
        across, down = math.hypot(ctm[0], ctm[1]), math.hypot(ctm[2], ctm[3])  # the unit square, in points
        if not (width_px and height_px and across > 0.01 and down > 0.01):
            return
        ppi = min(width_px * 72 / across, height_px * 72 / down)
        size = f"{across / 72 * 25.4:.0f} × {down / 72 * 25.4:.0f} mm"
        if ppi < MIN_PPI:
            self.add(self.page, ERROR, "resolution",
                     f"{name} prints at {ppi:.0f} ppi over {size}: under {MIN_PPI} ppi it prints blurred and jagged")
        elif ppi < GOOD_PPI:
            self.add(self.page, WARNING, "resolution",
                     f"{name} prints at {ppi:.0f} ppi over {size}: under the {GOOD_PPI} ppi a press expects")

    def _state(self, state) -> None:
        if self.job.variant not in _TRANSPARENT_VARIANTS or (state.objgen in self._seen_states and state.objgen != (0, 0)):
            return
        self._seen_states.add(state.objgen)
        why = []
        for key in ("/ca", "/CA"):
            if key in state and float(state[key]) < 1:
                why.append(f"{key[1:]} {float(state[key]):g}")
        mask = state.get("/SMask")
        if mask is not None and mask != "/None":
            why.append("a soft mask")
        blend = state.get("/BM")
        blends = [str(b) for b in (blend if isinstance(blend, Iterable) and not isinstance(blend, str) else [blend])] \
            if blend is not None else []
        if blends and not set(blends) <= {"/Normal", "/Compatible"}:
            why.append(f"blend mode {blends[0][1:]}")
        if why:
            self.add(self.page, ERROR, "transparency", f"transparency ({', '.join(why)}), which "
                                                        f"{_standard(self.job.variant)} forbids")

    def _space(self, space, what: str, rgb_reported: bool = False) -> None:
        import pikepdf

        if space is None:
            return
        family = _family(space)
        if family in ("/Separation", "/DeviceN"):
            names = [str(space[1])] if family == "/Separation" else [str(n) for n in space[1]]
            colorants = ", ".join(n[1:] if n.startswith("/") else n for n in names)
            if colorants not in self._seen_spaces:
                self._seen_spaces.add(colorants)
                self.add(self.page, WARNING, "spot", f"spot colour {colorants} ({family[1:]}, {what}): "
                                                     "it prints on a plate of its own; check the press expects it")
        elif family == "/Indexed" and isinstance(space, pikepdf.Array) and len(space) > 1:
            self._space(space[1], what, rgb_reported)
        elif not rgb_reported and self.job.cmyk and _is_rgb(space) and what.startswith("a shading"):
            self.add(self.page, ERROR, "rgb", f"{what} is RGB in a CMYK job")


def _font_key(font) -> Any:
    """A font as itself: its object number, or (held directly) its dictionary written out."""
    return font.objgen if font.objgen != (0, 0) else bytes(font.unparse())


def _streams(content) -> list[Any]:
    """A page's content streams, or the one stream of a form or pattern."""
    import pikepdf

    if isinstance(content, pikepdf.Stream):
        return [content]
    contents = content.get("/Contents")
    return [contents] if isinstance(contents, pikepdf.Stream) else \
        [c for c in contents if isinstance(c, pikepdf.Stream)] if isinstance(contents, pikepdf.Array) else []


def _memo_key(content, resources, ctm: tuple[float, ...], depth: int) -> Any:
    """What decides what walking ``content`` finds: its streams, its resources, the CTM it is
    drawn with, its depth; None where a part cannot be named (a stream held directly)."""
    objgens = tuple(stream.objgen for stream in _streams(content))
    if not objgens or (0, 0) in objgens:
        return None
    where = resources.objgen if resources.objgen != (0, 0) else bytes(resources.unparse())
    return objgens, where, ctm, depth


# Each byte of a content stream as the operator count below sees it: a letter (or the * ' " that
# end some operators) is "a", a name's slash "n", whitespace and delimiters " ", the rest "0".
_TOKENS = bytes((ord("a") if chr(b).isascii() and (chr(b).isalpha() or chr(b) in "*'\"") else
                 ord("n") if b == ord("/") else
                 ord(" ") if chr(b) in " \t\r\n\f\0()<>[]{}%" else ord("0")) for b in range(256))


def _operator_count(content) -> tuple[int, int]:
    """How many operators ``content`` holds, and operators and operands together, counted on its
    bytes without parsing them: the words that begin with a letter, and all words (a word in a
    string counts too: never too few)."""
    operators = objects = 0
    for stream in _streams(content):
        tokens = (b" " + stream.read_bytes()).translate(_TOKENS)
        words = tokens.count(b" a")
        operators += words
        objects += words + tokens.count(b" 0") + tokens.count(b" n")
    return operators, objects


def _decoded_size(content) -> float:
    """The bytes a page's content streams (or a form's or pattern's stream) decode to, counted no
    further than MAX_CONTENT_BYTES + 1; a bound where a filter cannot be inflated here."""
    import pikepdf

    if isinstance(content, pikepdf.Stream):
        streams = [content]
    else:
        contents = content.get("/Contents")
        streams = [contents] if isinstance(contents, pikepdf.Stream) else \
            [c for c in contents if isinstance(c, pikepdf.Stream)] if isinstance(contents, pikepdf.Array) else []
    total: float = 0
    for stream in streams:
        total += _stream_size(stream, MAX_CONTENT_BYTES + 1 - total)
        if total > MAX_CONTENT_BYTES:
            break
    return total


def _stream_size(stream, budget: float) -> float:
    import pikepdf

    filters = stream.get("/Filter")
    names = [] if filters is None else [str(filters)] if isinstance(filters, pikepdf.Name) else [str(f) for f in filters]
    raw = stream.read_raw_bytes()  # as stored: no larger than the file
    size: float = len(raw)
    if names and names[0] in ("/FlateDecode", "/Fl"):  # by far the most usual: measured
        later = math.prod(_GROWTH.get(name, math.inf) for name in names[1:])
        size = _inflated(raw, budget / later if later else budget) * later
    else:
        size *= math.prod(_GROWTH.get(name, math.inf) for name in names)
    return size


def _inflated(raw: bytes, budget: float) -> int:
    """How many bytes ``raw`` inflates to, counted a chunk at a time up to just over ``budget``
    (a predictor only takes bytes away); a damaged stream counts what inflates before the damage."""
    import zlib

    inflater, size, data = zlib.decompressobj(), 0, raw
    try:
        while data and size <= budget:
            size += len(inflater.decompress(data, _CHUNK))
            data = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        pass
    return size


def _standard(variant: str | None) -> str:
    """"pdf/x-1a" as the standard is written: "PDF/X-1a"."""
    family, _, version = (variant or "").partition("-")
    return f"{family.upper()}-{version}"


def _family(space) -> str:
    import pikepdf

    if isinstance(space, pikepdf.Array) and len(space):
        return str(space[0])
    return str(space)


def _components(space) -> int | None:
    import pikepdf

    family = _family(space)
    if family in ("/DeviceGray", "/CalGray", "/Separation"):
        return 1
    if family in ("/DeviceRGB", "/CalRGB", "/Lab"):
        return 3
    if family == "/DeviceCMYK":
        return 4
    if family == "/ICCBased" and isinstance(space, pikepdf.Array):
        return int(space[1].get("/N", 0)) or None
    if family == "/DeviceN" and isinstance(space, pikepdf.Array):
        return len(space[1])
    return None


def _outputs(function) -> int | None:
    """How many values a (shading's) function gives: C0's of an exponential function, its
    sub-functions' of a stitching one, /Range's of a sampled or PostScript one."""
    import pikepdf

    if function is None:
        return None
    if isinstance(function, pikepdf.Array):  # one function per component
        return len(function)
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        return len(function.get("/C0", [0]))
    if kind == 3:
        outputs = {_outputs(sub) for sub in function.get("/Functions", [])}
        return outputs.pop() if len(outputs) == 1 else None
    if "/Range" in function:
        return len(function.Range) // 2
    return None


def _is_rgb(space) -> bool:
    import pikepdf

    if space is None:
        return False
    family = _family(space)
    if family in ("/DeviceRGB", "/CalRGB", "/RGB"):
        return True
    if family == "/ICCBased" and isinstance(space, pikepdf.Array):
        return int(space[1].get("/N", 0)) == 3
    if family == "/Indexed" and isinstance(space, pikepdf.Array):
        return _is_rgb(space[1])
    return False


def _lookup(resources, name: str):
    """A colour space operand: a device space's name, or a name in the resources' /ColorSpace."""
    import pikepdf

    if name in ("/DeviceRGB", "/DeviceCMYK", "/DeviceGray", "/Pattern"):
        return pikepdf.Name(name)
    return resources.get("/ColorSpace", {}).get(name)


def _values(dictionary) -> Iterator[Any]:
    for _, value in _items(dictionary):
        yield value


def _items(dictionary) -> Iterator[tuple[str, Any]]:
    if dictionary is None:
        return
    try:
        items = list(dictionary.items())
    except (AttributeError, TypeError):
        return
    yield from items


def _boxes(page, number: int, job: Job, add) -> None:
    media = _box(page.obj.get("/MediaBox"))
    trim = _box(page.obj.get("/TrimBox"))
    bleed = _box(page.obj.get("/BleedBox")) or media
    if trim is None:
        add(number, ERROR if job.press else WARNING, "boxes", "no TrimBox: the press cannot tell where the page is cut")
        return
    if media is not None and not _inside(trim, media):
        add(number, ERROR, "boxes", "the TrimBox reaches outside the MediaBox")
    if bleed is not None and not _inside(trim, bleed):
        add(number, ERROR, "boxes", "the TrimBox reaches outside the BleedBox")
    margin = min(trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3]) if bleed else 0.0
    mm = margin / 72 * 25.4
    if job.bleed_pt is None:
        if margin < BOX_TOLERANCE_PT and job.press:
            add(number, WARNING, "boxes", "no bleed: a picture or colour printed to the edge needs some beyond the trim "
                                          "(pdf: bleed: 3mm)")
    elif margin + BOX_TOLERANCE_PT < job.bleed_pt:
        asked = job.bleed_pt / 72 * 25.4
        add(number, ERROR, "boxes", f"the bleed is {mm:.1f} mm, not the {asked:.1f} mm the manifest asks for")


def _box(value) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    t = BOX_TOLERANCE_PT
    return inner[0] >= outer[0] - t and inner[1] >= outer[1] - t and inner[2] <= outer[2] + t and inner[3] <= outer[3] + t


def _font(font, number: int, add) -> None:
    name = str(font.get("/BaseFont", "/(unnamed)"))[1:]
    subtype = str(font.get("/Subtype", ""))
    if subtype == "/Type3":
        return  # drawn by its own content streams: nothing to embed
    descriptor = font.get("/FontDescriptor")
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        if descendants is not None and len(descendants):
            descriptor = descendants[0].get("/FontDescriptor")
    embedded = descriptor is not None and any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    if not embedded:
        add(number, ERROR, "fonts", f"font {name} is not embedded: the press would set the text in another font")
    elif not (len(name) > 7 and name[6] == "+" and name[:6].isalpha() and name[:6].isupper()):
        add(number, WARNING, "fonts", f"font {name} is embedded whole, not subset")


# ---------------------------------------------------------------------------- reports


def text_report(findings: list[Finding]) -> str:
    return "".join(f"{finding.line()}\n" for finding in findings)


def json_report(findings: list[Finding], job: Job, pdf_name: str) -> str:
    return json.dumps({
        "pdf": pdf_name, "job": {"cmyk": job.cmyk, "bleed_pt": job.bleed_pt, "variant": job.variant},
        "errors": sum(f.severity == ERROR for f in findings), "warnings": sum(f.severity == WARNING for f in findings),
        "findings": [f.as_json() for f in findings],
    }, ensure_ascii=False, indent=2) + "\n"


def of_issue(run: Pipeline) -> tuple[bytes, Job]:
    """The issue's print PDF, laid out through the pipeline, and its job."""
    printed = run.lay_out(pdf=True)
    assert printed is not None and printed.data is not None
    return printed.data, Job.of(run.load().meta)
