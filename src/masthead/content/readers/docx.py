"""Word articles (.docx), read with mammoth: headings, emphasis, lists, tables, links, pictures
with their alt text, footnotes and endnotes; the house paragraph styles a manifest entry's
``style_map`` names (Standfirst: standfirst) as the article's fields or as blocks of its body;
the title, author, date and language of the file's properties where nothing else gives them.

A Word file is an untrusted ZIP archive of XML parts. Before mammoth reads it, every part is
looked at here: its size against the limits below (a ZIP bomb declares what it unpacks to),
its XML parsed with masthead's one safe parser (no DTD, no entity: Word writes neither), and
whatever must not be read is refused or left out with a word: a macro project (``.docm``, a
``vbaProject.bin``), encryption, a picture linked from outside the file (nothing is fetched,
mammoth's own ``external_file_access`` stays off), an embedded object (OLE: a spreadsheet, an
equation editor's object) or a chart. A damaged file is an error naming it, never a traceback.

A Word file has no lines: a message says where with the paragraph's number and first words
(``articles/x.docx: paragraph 14 (“The harbour at…”): …``), a note's by its number.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import posixpath
import re
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from masthead.content import images, sanitize, shape
from masthead.content.readers.base import KNOWN_PREFIXES, ReaderResult
from masthead.diagnostics import Position, Report
from masthead.model import schema
from masthead.runtime import confine, i18n, safexml
from masthead.runtime.safexml import local_name

MAX_BYTES = 64 * 1024 * 1024  # the file: a contributor's photographs make it larger than a text's
MAX_PARTS = 2_000  # a long book with its pictures has a few hundred
MAX_XML_PART = 32 * 1024 * 1024  # unpacked: a 500-page book's document.xml is ~10 MB
MAX_UNPACKED = 256 * 1024 * 1024  # all the parts unpacked, what a ZIP bomb declares beyond

W_NAMESPACES = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                "http://purl.oclc.org/ooxml/wordprocessingml/main")  # transitional, strict
_A = ("http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main")
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CORE = {"cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
         "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}
_OLE = "urn:schemas-microsoft-com:office:office"
_MATH = ("http://schemas.openxmlformats.org/officeDocument/2006/math", "http://purl.oclc.org/ooxml/officeDocument/math")
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: an encrypted OOXML file, or a Word 97 .doc
_MACROS = ("vbaproject.bin", "vbadata.xml")
# What a graphic that is no picture is, by its graphicData's uri: mammoth reads pictures only.
_GRAPHICS = {"chart": "a chart", "diagram": "a SmartArt diagram", "chartex": "a chart"}

# The field roles take a paragraph's text out of the body into the article's field.
FIELD_ROLES = ("title", "kicker", "standfirst", "byline", "summary")
# What each role of a style_map (schema.STYLE_ROLES) becomes, as a mammoth style mapping's HTML path.
ROLE_PATHS = {
    **{role: f"p.masthead-{role}:fresh" for role in FIELD_ROLES},
    "heading": "h2:fresh", "subheading": "h3:fresh", "paragraph": "p:fresh", "quote": "blockquote > p:fresh",
    "pullquote": "div.pullquote > p:fresh", "sidebar": "div.sidebar > p:fresh", "verse": "div.verse > p:fresh",
    "code": "pre:separator('\\n')", "caption": "p.masthead-caption:fresh",
}
# Word's, LibreOffice's and pandoc's own paragraph styles that mammoth does not map, mapped
# here after the entry's own style_map (which may map them otherwise).
BUILT_IN = {
    "Title": "title", "Subtitle": "standfirst", "Author": "byline",
    "Quote": "quote", "Intense Quote": "quote", "Block Text": "quote",
    "Caption": "caption", "Image Caption": "caption", "Table Caption": "caption",
    "Source Code": "code", "HTML Preformatted": "code", "Plain Text": "code", "macro": "code",
    **dict.fromkeys(("Body Text", "Body Text 2", "Body Text 3", "Body Text First Indent", "Body Text Indent",
                     "First Paragraph", "Compact", "No Spacing", "Normal (Web)", "Text Body", "Standard", "Default",
                     "Figure", "Captioned Figure", "Date"), "paragraph"),
}
_RUN_STYLES = """\
r[style-name='Emphasis'] => em
r[style-name='Subtle Emphasis'] => em
r[style-name='Intense Emphasis'] => strong
r[style-name='Book Title'] => cite
r[style-name='Verbatim Char'] => code
r[style-name='Quote Char'] =>
r[style-name='Intense Quote Char'] =>
"""
_PLACEHOLDER_AUTHORS = {"microsoft office user", "windows user", "administrator", "python-docx", "user", "author"}
_SNIPPET = 32  # characters of a paragraph's text that say which one it is


class DocxReader:
    name = "Word"
    suffixes: tuple[str, ...] = (".docx", ".docm")  # .docm: read only to be refused with a reason
    shown: tuple[str, ...] = (".docx",)
    max_bytes = MAX_BYTES

    def read(self, raw: bytes, path: Path, entry, meta, report: Report) -> ReaderResult:
        try:
            return _read(raw, path, entry, meta, report)
        except Refused as exc:
            report.error(Position(path, part=exc.part), exc.message)
            return ReaderResult({}, None, None, {})


READER = DocxReader()


class Refused(Exception):
    """The file cannot be read: the message says why, ``part`` where, when it is known."""

    def __init__(self, message: str, part: str | None = None):
        super().__init__(message)
        self.message, self.part = message, part


# ---------------------------------------------------------------------------- the package


class _Package:
    """The ZIP archive, checked: its parts' names and sizes, its XML parsed safely."""

    def __init__(self, raw: bytes, path: Path):
        if path.suffix.lower() == ".docm":
            raise Refused("a macro-enabled Word document (.docm) is refused: masthead runs no macros; "
                          "save it as a Word Document (.docx)")
        if raw.startswith(_CFB):
            raise Refused("an encrypted (password-protected) Word document, or one in the old .doc format: "
                          "save it as a Word Document (.docx) without a password")
        if not raw.startswith(b"PK\x03\x04"):
            raise Refused("not a Word document: a .docx file is a ZIP archive, and this is none")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(raw))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
            raise Refused(f"a damaged Word document: its ZIP archive cannot be read ({exc})") from None
        if len(infos) > MAX_PARTS:
            raise Refused(f"{len(infos):,} parts in the archive; a Word document has at most a few hundred "
                          f"(masthead reads {MAX_PARTS:,})")
        total = 0
        for info in infos:
            name = info.filename
            if name.rsplit("/", 1)[-1].lower() in _MACROS:
                raise Refused(f"a Word document with macros ('{name}') is refused: masthead runs no macros; "
                              "save it as a Word Document (.docx) without them")
            if info.flag_bits & 0x1:
                raise Refused("an encrypted Word document: save it without a password")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise Refused(f"its part '{name}' is packed in a way Word never writes (ZIP method {info.compress_type})")
            limit = MAX_XML_PART if _is_xml(name) else confine.IMAGE_LIMIT
            if info.file_size > limit:
                raise Refused(f"its part '{name}' unpacks to {info.file_size:,} bytes; masthead reads at most "
                              f"{limit // (1024 * 1024)} MB for one")
            total += info.file_size
        if total > MAX_UNPACKED:
            raise Refused(f"the archive unpacks to {total:,} bytes; masthead reads at most "
                          f"{MAX_UNPACKED // (1024 * 1024)} MB (is it a ZIP bomb?)")
        self.names = {info.filename for info in infos}
        self.xml: dict[str, etree._Element] = {}
        for info in infos:  # every XML part, parsed as masthead parses XML, before mammoth sees it
            if _is_xml(info.filename):
                self.xml[info.filename] = self._parse(info.filename)
        types = self.xml.get("[Content_Types].xml")
        if types is not None and any("macroenabled" in (e.get("ContentType") or "").lower() for e in types):
            raise Refused("a macro-enabled Word document is refused: masthead runs no macros; "
                          "save it as a Word Document (.docx)")
        package = self.relationships("")
        self.document = next((target for kind, target, _ in package.values()
                              if kind.endswith("/officeDocument")), "word/document.xml")
        if self.document not in self.xml:
            raise Refused("not a Word document: the archive holds no document part (word/document.xml)")
        self.core = next((target for kind, target, _ in package.values()
                          if kind.endswith("/core-properties")), "docProps/core.xml")

    def read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError, KeyError) as exc:
            raise Refused(f"a damaged Word document: its part '{name}' cannot be unpacked ({exc})") from None

    def _parse(self, name: str) -> etree._Element:
        try:
            document = safexml.parse_document(self.read(name))
        except etree.XMLSyntaxError as exc:
            if "excessive depth" in str(exc.msg or exc).lower():
                raise Refused(f"its part '{name}' nests elements more than 256 deep: tables, lists or text boxes "
                              "nested too deep to read; flatten them in Word") from None
            raise Refused(f"a damaged Word document: its part '{name}' is not well-formed XML ({exc.msg or exc})") from None
        if document.docinfo.doctype or document.docinfo.internalDTD is not None:
            raise Refused(f"its part '{name}' declares a DTD, which Word never writes; refused "
                          "(entities could expand without end)")
        return document.getroot()

    def styles(self) -> dict[str, str]:
        """The paragraph styles the document defines: lower-case name → name."""
        root = self.xml.get(next((target for kind, target, _ in self.relationships(self.document).values()
                                  if kind.endswith("/styles")), "word/styles.xml"))
        found: dict[str, str] = {}
        for style in root.iter() if root is not None else ():
            if _w(style, "style") and any(style.get(f"{{{ns}}}type") == "paragraph" for ns in W_NAMESPACES):
                name = next((e for e in style if _w(e, "name")), None)
                value = None if name is None else next((name.get(f"{{{ns}}}val") for ns in W_NAMESPACES
                                                        if name.get(f"{{{ns}}}val")), None)
                if value:
                    found[value.lower()] = value
        return found

    def relationships(self, part: str) -> dict[str, tuple[str, str, str]]:
        """Id → (type, target, mode) of the relationships of ``part`` ("" for the package's own);
        an internal target as the name of the part it is."""
        folder, _, name = part.rpartition("/")
        root = self.xml.get(f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels")
        if root is None:
            return {}
        found = {}
        for e in root.iter(f"{{{_PACKAGE_RELS}}}Relationship"):
            target, mode = e.get("Target", ""), e.get("TargetMode", "")
            if mode != "External":
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[e.get("Id", "")] = (e.get("Type", ""), target, mode)
        return found


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def _w(element, name: str) -> bool:
    return isinstance(element.tag, str) and element.tag.endswith(f"}}{name}") and \
        element.tag[1:].split("}")[0] in W_NAMESPACES


def _paragraphs(root) -> list:
    """The part's paragraphs, in order, as mammoth reads them: an mc:AlternateContent by its
    Fallback, never its Choice (a text box would count twice)."""
    out = []
    for element in root.iter():
        if _w(element, "p") and not any(local_name(up) == "choice" for up in element.iterancestors()):
            out.append(element)
    return out


def _text_of(element) -> str:
    return "".join(t.text or "" for t in element.iter() if _w(t, "t"))


def _part(number: int, text: str) -> str:
    """How a message names a paragraph: its number and its first words."""
    words = " ".join(text.split())
    if not words:
        return f"paragraph {number}"
    return f"paragraph {number} (“{words[:_SNIPPET]}{'…' if len(words) > _SNIPPET else ''}”)"


def _left_out(package: _Package, report: Report, path: Path) -> dict[str, bytes]:
    """Embedded objects, charts and equations, left out with a word, and tracked changes said;
    the parts without their objects and with decorative pictures' empty alt text (for mammoth),
    by name, for those that changed. Pictures linked from outside are said by the picture
    converter, which mammoth asks for each."""
    changed: dict[str, bytes] = {}
    parts = {package.document: ""}
    for kind, target, _ in package.relationships(package.document).values():
        if kind.endswith(("/footnotes", "/endnotes")) and target in package.xml:
            parts[target] = "the footnotes" if kind.endswith("/footnotes") else "the endnotes"
    for name, label in parts.items():
        root = package.xml[name]
        numbers = {p: n for n, p in enumerate(_paragraphs(root), start=1)}

        def where(element, numbers=numbers, label=label) -> Position:
            p = next((up for up in element.iterancestors() if up in numbers), None)
            if label or p is None:
                return Position(path, part=label or None)
            return Position(path, part=_part(numbers[p], _text_of(p)))

        gone = []
        changes = None  # the first tracked change, said once
        decorative = False
        for element in root.iter():
            if local_name(element) == "docpr" and _decorative(element) and not (element.get("descr") or "").strip():
                element.set("title", "")  # mammoth's alt text when descr is blank: alt="", no warning
                decorative = True
            if changes is None and (_w(element, "ins") or _w(element, "del")):
                changes = element
                report.warning(where(element), "the document has tracked changes: it is read as if all were accepted "
                                               "(insertions kept, deletions left out); accept or reject them in Word to be sure")
            if local_name(element) == "omath" and element.tag[1:].split("}")[0] in _MATH and not any(
                    local_name(up) == "omath" for up in element.iterancestors()):
                report.warning(where(element), "an equation left out: masthead does not read Word's equations; "
                                               "write it as text, or paste it as a picture")
            if _w(element, "object"):
                program = next((e.get("ProgID") for e in element.iter(f"{{{_OLE}}}OLEObject")), None)
                what = f"an embedded object ({program})" if program else "an embedded object"
                report.warning(where(element), f"{what} left out: masthead reads text and pictures; "
                                               "paste it as a picture to keep what it shows")
                gone.append(element)
            elif local_name(element) == "graphicdata" and element.tag[1:].split("}")[0] in _A:
                kind = (element.get("uri") or "").rstrip("/").rsplit("/", 1)[-1]
                if kind in _GRAPHICS:
                    report.warning(where(element), f"{_GRAPHICS[kind]} left out: masthead reads text and pictures; "
                                                   "paste it as a picture to keep what it shows")
        for element in gone:
            element.getparent().remove(element)
        if gone or decorative:
            changed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return changed


def _decorative(properties) -> bool:
    """Is the picture marked decorative in Word (Alt Text › Mark as decorative)?"""
    return any(local_name(e) == "decorative" and e.get("val") in ("1", "true") for e in properties.iter())


def _repacked(package: _Package, changed: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in package.zip.infolist():
            target.writestr(info.filename, changed.get(info.filename) or package.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------- the file's properties


def _properties(package: _Package) -> dict:
    """title, byline, date and lang from docProps/core.xml, where it gives them."""
    root = package.xml.get(package.core)
    if root is None:
        return {}

    def value(name: str) -> str:
        prefix, local = name.split(":")
        element = root.find(f"{{{_CORE[prefix]}}}{local}")
        return " ".join(safexml.xml_text(element.text or "").split()) if element is not None else ""

    found: dict = {}
    title = value("dc:title")
    if title and len(title) <= schema.MAX_LINE:
        found["title"] = title
    names = tuple(n.strip() for n in value("dc:creator").split(";") if n.strip() and n.strip().lower() not in _PLACEHOLDER_AUTHORS)
    if names and all(len(n) <= schema.MAX_LINE for n in names):
        found["byline"] = names
    for key in ("dcterms:created", "dcterms:modified"):  # when it was written; else when last changed
        match = re.match(r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})", value(key))
        try:
            date = dt.date(*(int(g) for g in match.groups())) if match else None
        except ValueError:
            date = None
        if date is not None and schema.FIRST_DATE <= date <= schema.LAST_DATE:
            found["date"] = date
            break
    lang = value("dc:language")
    if lang and i18n.is_valid_tag(lang):
        found["lang"] = lang
    return found


# ---------------------------------------------------------------------------- reading


def _style_map(roles: dict[str, str]) -> str:
    """mammoth's style map: the entry's styles first (mammoth takes the first that matches),
    then the built-in styles it does not know, then its own defaults (headings, lists)."""
    lines = [f"p[style-name='{_quoted(name)}'] => {ROLE_PATHS[role]}"
             for name, role in [*roles.items(), *BUILT_IN.items()] if role in ROLE_PATHS]
    return "\n".join(lines) + "\n" + _RUN_STYLES


def _quoted(name: str) -> str:
    return re.sub(r"[\\'\n\r\t]", lambda m: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(m.group(0), "\\" + m.group(0)), name)


class _Walk:
    """What mammoth's reading of the document holds, walked before it becomes HTML: each
    paragraph's number and first words, for the pictures, links and styles in it."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self.pictures: dict[int, Position] = {}  # id() of mammoth's Image → where it stands
        self.links: dict[str, Position] = {}  # href → where it first stands
        self.styles: dict[str, list] = {}  # style name (lower case) → [its name, where first, how many paragraphs]
        self.runs: dict[str, Position] = {}  # character style (lower case) → where first
        self.notes: list[tuple[str, str]] = []  # (note type, id) in the order referred to

    def __call__(self, document):
        from mammoth import documents

        self._walk(document.children, None, documents)
        for n, (kind, note_id) in enumerate(self.notes, start=1):
            note = document.notes.find_note(kind, note_id)
            if note is not None:
                self._walk(note.body, Position(self.path, part=f"{kind} {n}"), documents)
        return document

    def _walk(self, children, where: Position | None, documents) -> None:
        from mammoth.raw_text import extract_raw_text_from_element

        for child in children:
            here = where
            if isinstance(child, documents.Paragraph):
                if where is None:  # the body's paragraphs are counted; a note's are the note's
                    self.count += 1
                    here = Position(self.path, part=_part(self.count, extract_raw_text_from_element(child)))
                name = child.style_name or child.style_id
                if name:
                    seen = self.styles.setdefault(name.lower(), [name, here, 0])
                    seen[2] += 1
            elif isinstance(child, documents.Image):
                self.pictures[id(child)] = here or Position(self.path)
            elif isinstance(child, documents.Hyperlink):
                href = child.href if child.anchor is None else f"#{child.anchor}"
                if href is not None:
                    self.links.setdefault(href, here or Position(self.path))
            elif isinstance(child, documents.NoteReference) and (child.note_type, child.note_id) not in self.notes:
                self.notes.append((child.note_type, child.note_id))
            elif isinstance(child, documents.Run) and (child.style_name or child.style_id):
                self.runs.setdefault((child.style_name or child.style_id).lower(), here or Position(self.path))
            self._walk(getattr(child, "children", None) or (), here, documents)


def _read(raw: bytes, path: Path, entry, meta, report: Report) -> ReaderResult:
    import mammoth
    from mammoth import html as mammoth_html
    from mammoth.docx.files import InvalidFileReferenceError

    package = _Package(raw, path)
    changed = _left_out(package, report, path)
    data = _repacked(package, changed) if changed else raw
    roles: dict[str, str] = dict((entry.overrides or {}).get("style_map") or {})
    walk = _Walk(path)
    embedded: dict[str, bytes] = {}
    places: dict[str, Position] = {}

    def picture(image) -> list:
        where = walk.pictures.get(id(image), Position(path))
        try:
            with image.open() as file:
                blob = file.read(confine.IMAGE_LIMIT + 1)  # the archive's check bounds it already
        except InvalidFileReferenceError:
            report.warning(where, "a picture linked from outside the document left out: masthead fetches nothing; "
                                  "insert the picture into the document instead")
            return []
        except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError):
            report.warning(where, "a picture whose part is missing or damaged left out")
            return []
        try:
            images.probe(blob)
        except images.ImageError as exc:
            report.warning(where, f"a picture ({image.content_type or 'of no known type'}) left out: {exc}")
            return []
        src = f"masthead-docx-picture-{len(embedded) + 1}"
        embedded[src], places[src] = blob, where
        attributes = {"src": src}
        if image.alt_text is not None:
            attributes["alt"] = " ".join(safexml.xml_text(image.alt_text).split())
        return [mammoth_html.element("img", attributes)]

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data), style_map=_style_map(roles), include_embedded_style_map=False,
            external_file_access=False, convert_image=picture, transform_document=walk)
    except Refused:
        raise
    except RecursionError:
        raise Refused("tables, lists or text boxes nested too deep to read: flatten them in Word") from None
    except Exception as exc:  # noqa: BLE001 - mammoth on a file that is no Word document it can read: any error is the file's
        raise Refused(f"cannot be read as a Word document ({type(exc).__name__}: {str(exc)[:200]})") from None
    _mammoth_messages(result.messages, walk, path, report)
    defined = package.styles()
    for name in roles:  # a house style the document does not define: a typo, or another house's file
        if name.lower() not in defined and name.lower() not in walk.styles:
            close = difflib.get_close_matches(name.lower(), list(defined), n=1, cutoff=0.75)
            report.warning(Position(path), f"the entry's style_map names the paragraph style '{name}', which this document "
                                           "does not define" + (f" — did you mean '{defined[close[0]]}'?" if close else ""))
    body = sanitize.fragment(result.value or "<p></p>")
    fields = _properties(package)
    _nested_sups(body)
    taken = _fields(body, report, path, walk)
    if "title" not in taken and _begins_with_heading(body):
        fields.pop("title", None)  # the first heading is the headline (reading.py takes it)
    fields.update(taken)
    _notes(body)
    _captions(body)
    _cells(body)
    places.update({href: where for href, where in walk.links.items() if href not in places})
    return ReaderResult(fields, fields.get("lang"), body, dict(KNOWN_PREFIXES), places=places, embedded=embedded)


_UNRECOGNISED = re.compile(r"Unrecognised (paragraph|run) style: (.*) \(Style ID: (.*)\)\Z", re.S)
# said by picture(), or by _left_out
_SAID = ("Image of type", "could not open external image", "could not find external image",
         *(f"An unrecognised element was ignored: {{{ns}}}oMath" for ns in _MATH))


def check(raw: bytes, path: Path) -> None:
    """The checks a Word file passes before mammoth reads it (macros, encryption, sizes, safe
    XML); ``Refused`` says which it fails."""
    _Package(raw, path)


def suggested_style_map(raw: bytes, path: Path) -> dict[str, str]:
    """The house paragraph styles a Word file uses whose names suggest a role ("Kicker" →
    kicker, "Pull Quote" → pullquote), for ``masthead import docx`` to write into its entry;
    {} for a file the reader would refuse. Styles the reader maps itself (BUILT_IN, headings)
    are left out."""
    try:
        package = _Package(raw, path)
    except Refused:
        return {}
    styles = package.xml.get(next((target for kind, target, _ in package.relationships(package.document).values()
                                   if kind.endswith("/styles")), "word/styles.xml"))
    names: dict[str, str] = {}  # style id → name
    for style in styles.iter() if styles is not None else ():
        if _w(style, "style"):
            name = next((e for e in style if _w(e, "name")), None)
            value = None if name is None else next((name.get(f"{{{ns}}}val") for ns in W_NAMESPACES if name.get(f"{{{ns}}}val")), None)
            style_id = next((style.get(f"{{{ns}}}styleId") for ns in W_NAMESPACES if style.get(f"{{{ns}}}styleId")), None)
            if value and style_id:
                names[style_id] = value
    found: dict[str, str] = {}
    for element in package.xml[package.document].iter():
        if _w(element, "pStyle"):
            style_id = next((element.get(f"{{{ns}}}val") for ns in W_NAMESPACES if element.get(f"{{{ns}}}val")), "")
            name = names.get(style_id, style_id)
            mapped = name.lower() in {n.lower() for n in BUILT_IN} or name.lower().startswith(("heading", "normal", "list"))
            role = None if mapped else _likely_role(name)
            if role:
                found.setdefault(name, role)
    return found


def _likely_role(style: str) -> str | None:
    """The role a house style's name suggests ("Byline" → byline, "Pull Quote" → pullquote), if one."""
    close = difflib.get_close_matches("".join(style.lower().split()), schema.STYLE_ROLES, n=1, cutoff=0.75)
    return close[0] if close else None


def _mammoth_messages(messages, walk: _Walk, path: Path, report: Report) -> None:
    """mammoth's warnings, each once, at the first paragraph they concern where that is known."""
    seen: set[str] = set()
    for message in messages:
        text = str(getattr(message, "message", message))
        if text in seen or text.startswith(_SAID):
            continue
        seen.add(text)
        match = _UNRECOGNISED.match(text)
        if match and match.group(1) == "paragraph":
            name, where, count = walk.styles.get(match.group(2).lower(), [match.group(2), Position(path), 1])
            likely = _likely_role(name)
            roles = f"{likely}" if likely else "standfirst, pullquote …"
            report.warning(where or Position(path), f"the paragraph style '{name}' is read as a plain paragraph"
                           + (f" ({count} paragraphs have it)" if count > 1 else "")
                           + f"; give it a role in the entry's style_map ('{name}': {roles}) if it is more")
        elif match:
            report.warning(walk.runs.get(match.group(2).lower(), Position(path)),
                           f"the character style '{match.group(2)}' is read as plain text")
        else:
            report.warning(Position(path), f"{text} (mammoth, reading the Word document)")


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def _text(element) -> str:
    return " ".join(safexml.xml_text("".join(element.itertext())).split())


def _fields(body, report: Report, path: Path, walk: _Walk) -> dict:
    """The paragraphs of a field's role (Kicker, Standfirst …) out of the body, into the fields."""
    found: dict[str, list[str]] = {}
    for p in list(body.iter("p")):
        role = next((c[len("masthead-"):] for c in _classes(p) if c[len("masthead-"):] in FIELD_ROLES), None)
        if role is None:
            continue
        text = _text(p)
        limit = schema.MAX_TEXT if role in ("standfirst", "summary") else schema.MAX_LINE
        if text and (len(text) > limit or len(" ".join([*found.get(role, []), text])) > limit):
            report.warning(Position(path), f"a paragraph of the role {role} is {len(text):,} characters long, more than "
                                           f"the {limit:,} a {role} takes: it stays in the text")
            p.attrib.pop("class")
            continue
        if text:
            found.setdefault(role, []).append(text)
        shape.remove(p)
    fields: dict = {role: " ".join(texts) for role, texts in found.items() if role != "byline"}
    if found.get("byline"):
        fields["byline"] = tuple(re.sub(r"^by\s+", "", name, flags=re.I) for name in found["byline"])
    if "kicker" in fields:
        fields["kicker"] = found["kicker"][0]
    return fields


def _begins_with_heading(body) -> bool:
    """Does the body begin with a heading, which the read stage takes for the headline?"""
    for element in body.iter():
        if element.tag in ("h1", "h2"):
            return True
        if element.tag in ("p", "table", "ul", "ol", "blockquote", "figure", "dl", "pre"):
            return False
    return False


def _nested_sups(body) -> None:
    """A note's reference set superscript by hand and by mammoth: one <sup>."""
    for sup in list(body.iter("sup")):
        parent = sup.getparent()
        if parent is not None and parent.tag == "sup" and len(parent) == 1 and not (parent.text or "").strip() \
                and not (sup.tail or "").strip():
            parent.text = sup.text
            parent[:] = list(sup)


_NOTE_ID = re.compile(r"(footnote|endnote)-(-?[0-9]+)\Z")


def _notes(body) -> None:
    """mammoth's notes (one list at the end, in the order referred to) in markdown-it's shape,
    which the read stage makes noteref/footnote pairs of, as it does a Markdown article's."""
    lists = [ol for ol in body.findall("ol") if len(ol) and all(li.tag == "li" and _NOTE_ID.match(li.get("id") or "") for li in ol)]
    if not lists:
        return
    notes = lists[-1]
    numbers = {li.get("id"): n for n, li in enumerate(notes, start=1)}
    for a in list(body.iter("a")):
        target = (a.get("href") or "")[1:]
        if target not in numbers or not (a.get("id") or "").startswith(("footnote-ref-", "endnote-ref-")):
            continue
        n = numbers[target]
        sup = a.getparent() if a.getparent() is not None and a.getparent().tag == "sup" else None
        if sup is None:
            sup = etree.Element("sup")
            a.addprevious(sup)
            sup.tail, a.tail = a.tail, None
            sup.append(a)
        sup.set("class", "footnote-ref")
        a.attrib.clear()
        a.set("href", f"#fn{n}")
        a.set("id", f"fnref{n}")
        a.text = f"[{n}]"
    section = etree.Element("section", {"class": "footnotes"})
    notes.addprevious(etree.Element("hr", {"class": "footnotes-sep"}))
    notes.addprevious(section)
    section.append(notes)
    notes.set("class", "footnotes-list")
    for li in notes:
        n = numbers[li.get("id")]
        li.set("id", f"fn{n}")
        li.set("class", "footnote-item")
        for back in li.iter("a"):
            if (back.get("href") or "").startswith(("#footnote-ref-", "#endnote-ref-")):
                back.set("href", f"#fnref{n}")
                back.set("class", "footnote-backref")
        for p in li.iter("p"):
            if p.text:
                p.text = p.text.lstrip()  # Word's space after the note's number
        if not len(li) and not (li.text or "").strip():
            li.text = "\u00a0"  # an empty note still pairs with its reference


def _cells(body) -> None:
    """A table cell of one paragraph (as Word has every cell) holds its text, as a Markdown table's does."""
    for cell in body.iter("td", "th"):
        if len(cell) == 1 and cell[0].tag == "p" and not (cell.text or "").strip() and not (cell[0].tail or "").strip():
            p = cell[0]
            cell.text = p.text
            cell[:] = list(p)


def _picture_only(element) -> bool:
    return element is not None and element.tag == "p" and len(element) == 1 and element[0].tag == "img" \
        and not (element.text or "").strip() and not (element[0].tail or "").strip()


def _captions(body) -> None:
    """A Caption paragraph just after a picture (or just before) makes it a figure with its
    caption; one just before a table (or after) is the table's caption; else it is a paragraph."""
    for p in list(body.iter("p")):
        if "masthead-caption" not in _classes(p):
            continue
        p.attrib.pop("class")
        before, after = p.getprevious(), p.getnext()
        for neighbour in (before, after):
            if _picture_only(neighbour):
                neighbour.tag = "figure"
                neighbour[0].tail = None
                p.tag = "figcaption"
                p.tail = None
                if neighbour is before:
                    neighbour.append(p)
                else:
                    neighbour.insert(0, p)
                break
        else:
            table = next((t for t in (after, before) if t is not None and t.tag == "table" and t.find("caption") is None), None)
            if table is not None:
                p.tag = "caption"
                tail = p.tail
                p.tail = None
                table.insert(0, p)
                if tail and tail.strip():
                    table.tail = (table.tail or "") + tail
