"""Word files for the DOCX reader's tests, made here with python-docx (a test dependency) and
the parts it cannot make added by hand: footnotes and endnotes (word/footnotes.xml,
word/endnotes.xml and the runs that refer to them), alt text on pictures, a macro project,
an embedded OLE object, a picture linked from outside the file.

Each maker writes one file and returns its path; :func:`source_words` gives the words a
file holds (body, notes), to hold the built article's text against."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NOTE_TYPES = {
    "footnote": ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"),
    "endnote": ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml"),
}


def picture(kind: str = "PNG", size: tuple[int, int] = (120, 80), color: tuple[int, int, int] = (40, 90, 140)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()


class Notes:
    """The footnotes or endnotes of one document: :meth:`refer` puts a reference to a new note
    in a paragraph, :meth:`attach` adds the part when the document is done."""

    def __init__(self, document, kind: str):
        self.document, self.kind, self.notes = document, kind, []

    def refer(self, paragraph, *texts: str) -> None:
        from docx.oxml import parse_xml

        number = len(self.notes) + 1
        paragraph._p.append(parse_xml(
            f'<w:r xmlns:w="{W}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            f'<w:{self.kind}Reference w:id="{number}"/></w:r>'))
        self.notes.append(texts)

    def attach(self) -> None:
        if not self.notes:
            return
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        kind = self.kind
        separators = (f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
                      f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>')
        notes = []
        for number, texts in enumerate(self.notes, start=1):
            paragraphs = []
            for n, text in enumerate(texts):
                mark = f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Ref/></w:r>' if n == 0 else ""
                paragraphs.append(f'<w:p>{mark}<w:r><w:t xml:space="preserve"> {_escape(text)}</w:t></w:r></w:p>')
            notes.append(f'<w:{kind} w:id="{number}">{"".join(paragraphs)}</w:{kind}>')
        blob = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:{kind}s xmlns:w="{W}">{separators}{"".join(notes)}</w:{kind}s>'
        relationship, content_type = _NOTE_TYPES[kind]
        part = Part(PackURI(f"/word/{kind}s.xml"), content_type, blob.encode("utf-8"), self.document.part.package)
        self.document.part.relate_to(part, relationship)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _styles(document, *names: str) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    for name in names:
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]


def _picture(document, data: bytes, alt: str | None, width_cm: float = 6):
    from docx.shared import Cm

    paragraph = document.add_paragraph()
    paragraph.add_run().add_picture(io.BytesIO(data), width=Cm(width_cm))
    if alt is not None:
        paragraph._p.xpath(".//wp:docPr")[0].set("descr", alt)
    return paragraph


def _core(document, title: str, author: str, created: dt.datetime) -> None:
    props = document.core_properties
    props.title, props.author, props.created, props.modified = title, author, created, created
    props.last_modified_by, props.revision = author, 1


def harbour(folder: Path) -> Path:
    """A feature with house styles (Kicker, Standfirst, Pull Quote), a Title, headings, emphasis,
    both kinds of list, a picture with alt text and a caption, two footnotes and an endnote."""
    import docx

    document = docx.Document()
    _styles(document, "Kicker", "Standfirst", "Pull Quote", "Byline")
    footnotes, endnotes = Notes(document, "footnote"), Notes(document, "endnote")
    document.add_paragraph("Harbours", style="Kicker")
    document.add_paragraph("The tide tables of Port Ellen", style="Title")
    document.add_paragraph("How a small island kept its ferries on time for a century.", style="Standfirst")
    document.add_paragraph("By Morag Bell", style="Byline")
    p = document.add_paragraph("The first tide table was printed in ")
    p.add_run("1894").bold = True
    p.add_run(", on a press the harbourmaster had bought ")
    p.add_run("second hand").italic = True
    p.add_run(" from Glasgow.")
    footnotes.refer(p, "The press survives in the island museum.")
    document.add_heading("The tables", level=1)
    p = document.add_paragraph("Each table listed the high waters for a month.")
    endnotes.refer(p, "Low waters were added in 1921.", "They were printed in red ink.")
    for item in ("the date", "the hour of high water", "the height in feet"):
        document.add_paragraph(item, style="List Bullet")
    document.add_paragraph("The harbour kept three rules.", style="Pull Quote")
    for item in ("check the glass", "ring the bell", "log the tide"):
        document.add_paragraph(item, style="List Number")
    _picture(document, picture("PNG"), "The harbour at low water, boats resting on the sand")
    document.add_paragraph("Figure 1: Port Ellen at low water, 1902.", style="Caption")
    document.add_heading("Afterwards", level=2)
    p = document.add_paragraph("The tables stopped in 1994, a century after the first.")
    footnotes.refer(p, "The last one hangs in the pier office.")
    footnotes.attach()
    endnotes.attach()
    _core(document, "Tide tables (draft)", "Morag Bell", dt.datetime(2024, 3, 5, 9, 30))
    path = folder / "harbour.docx"
    document.save(path)
    return path


def ledger(folder: Path) -> Path:
    """A report with a table (a header row, four columns), a table caption, a note in a cell,
    two endnotes, and no title in the text: the title, author and date are the file's properties."""
    import docx

    document = docx.Document()
    footnotes, endnotes = Notes(document, "footnote"), Notes(document, "endnote")
    p = document.add_paragraph("The accounts for the year show a small surplus.")
    endnotes.refer(p, "Audited by the treasurer in January.")
    document.add_paragraph("Table 1: Receipts by quarter", style="Caption")
    rows = [("Quarter", "Ferries", "Moorings", "Total"), ("First", "1,200", "300", "1,500"),
            ("Second", "1,800", "350", "2,150"), ("Third", "2,400", "410", "2,810")]
    table = document.add_table(rows=len(rows), cols=4)
    table.style = document.styles["Table Grid"]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    from docx.oxml import parse_xml

    header = table.rows[0]._tr
    header.get_or_add_trPr().append(parse_xml(f'<w:tblHeader xmlns:w="{W}"/>'))
    footnotes.refer(table.cell(2, 1).paragraphs[0], "Two extra sailings at Easter.")
    p = document.add_paragraph("The moorings paid for the new pontoon.")
    endnotes.refer(p, "Built by the island's own joiners.")
    document.add_heading("Outlook", level=2)
    document.add_paragraph("Next year the board expects the ferries to carry more freight than people.")
    footnotes.attach()
    endnotes.attach()
    _core(document, "The harbour accounts", "Iain Munro; Ruth Gray", dt.datetime(2024, 2, 1, 12, 0))
    path = folder / "ledger.docx"
    document.save(path)
    return path


def letters(folder: Path) -> Path:
    """Letters to the editor: two pictures (PNG and JPEG) with alt text, a caption, a nested
    list, a quote, a link to the web, a footnote of two paragraphs and an endnote."""
    import docx

    document = docx.Document()
    footnotes, endnotes = Notes(document, "footnote"), Notes(document, "endnote")
    document.add_heading("Letters to the editor", level=1)
    p = document.add_paragraph("Sir, your piece on the lighthouse was wrong about the lamp.")
    footnotes.refer(p, "The lamp was paraffin until 1962.", "It was converted to electricity that spring.")
    document.add_paragraph("The keepers had their own rules, which I quote from memory.", style="Quote")
    number = _two_level_list(document)
    for level, text in ((0, "Trim the wick"), (1, "at dusk"), (1, "at midnight"), (0, "Polish the lens")):
        _numbered(document.add_paragraph(text), number, level)
    _picture(document, picture("JPEG", (160, 100), (200, 160, 60)), "The lighthouse lamp room, its brass polished")
    document.add_paragraph("The lamp room in 1950.", style="Caption")
    p = document.add_paragraph("Yours, from the north end.")
    endnotes.refer(p, "The writer's name is withheld at her request.")
    _picture(document, picture("PNG", (90, 90), (20, 120, 60)), "A keeper's logbook open at March 1950")
    _link(document.add_paragraph("More letters are on "), "https://example.org/letters", "our website")
    footnotes.attach()
    endnotes.attach()
    _core(document, "Letters", "The Editor", dt.datetime(2024, 4, 12, 8, 0))
    path = folder / "letters.docx"
    document.save(path)
    return path


def _two_level_list(document) -> int:
    """A numbering of two levels (1., a.) added to the document's: its w:numId."""
    from docx.oxml import parse_xml

    numbering = document.part.numbering_part.element
    levels = "".join(f'<w:lvl w:ilvl="{n}"><w:start w:val="1"/><w:numFmt w:val="{kind}"/><w:lvlText w:val="%{n + 1}."/>'
                     f'<w:pPr><w:ind w:left="{720 * (n + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
                     for n, kind in enumerate(("decimal", "lowerLetter")))
    first = numbering.find(f"{{{W}}}num")
    abstract = parse_xml(f'<w:abstractNum xmlns:w="{W}" w:abstractNumId="90">{levels}</w:abstractNum>')
    if first is not None:
        first.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(f'<w:num xmlns:w="{W}" w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return 90


def _numbered(paragraph, number: int, level: int) -> None:
    from docx.oxml import parse_xml

    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr xmlns:w="{W}"><w:ilvl w:val="{level}"/><w:numId w:val="{number}"/></w:numPr>'))


def _link(paragraph, url: str, text: str) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    paragraph._p.append(parse_xml(f'<w:hyperlink xmlns:w="{W}" xmlns:r="{R}" r:id="{rid}"><w:r>'
                                  f'<w:t>{_escape(text)}</w:t></w:r></w:hyperlink>'))
    paragraph.add_run(".")


def simple(folder: Path, name: str = "simple.docx", text: str = "A plain paragraph.", **parts: bytes) -> Path:
    """One heading and one paragraph; ``parts`` are added to (or replace) the file's own."""
    import docx

    document = docx.Document()
    document.add_heading("Plain", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    path = folder / name
    path.write_bytes(rezip(buffer.getvalue(), parts))
    return path


def zipped(data: bytes, name: str) -> bytes:
    """One part of the DOCX ``data``."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return source.read(name)


def rezip(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The DOCX ``data`` with ``parts`` (name → bytes) in place of its own or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info, source.read(info))
        for name, blob in parts.items():
            target.writestr(name, blob)
    return out.getvalue()


def source_words(path: Path) -> list[str]:
    """The words of the document's text and its notes, as Word holds them (every w:t)."""
    words: list[str] = []
    with zipfile.ZipFile(path) as docx:
        for part in ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml"):
            if part not in docx.namelist():
                continue
            root = etree.fromstring(docx.read(part))
            for p in root.iter(f"{{{W}}}p"):
                text = "".join(t.text or "" for t in p.iter(f"{{{W}}}t"))
                words += re.findall(r"\w+(?:[’'\-]\w+)*", text)
    return words


def oddities(folder: Path, url: str = "http://127.0.0.1:9/linked.png") -> Path:
    """What is left out with a word: an embedded OLE object (a spreadsheet, its preview picture
    in the file), a chart, pictures linked from outside (``url``, a local file), a picture
    that is no image; a picture without alt text, and one marked decorative."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_heading("Oddities", level=1)
    document.add_paragraph("Before the objects.")
    shown = _picture(document, picture("PNG", (40, 30)), None)  # no alt text
    ornament = _picture(document, picture("PNG", (40, 4), (90, 90, 90)), None)  # marked decorative, as Word marks it
    ornament._p.xpath(".//wp:docPr")[0].append(parse_xml(
        '<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
        '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/></a:ext></a:extLst>'))
    rid = shown._p.xpath(".//a:blip/@r:embed")[0]
    v, o = "urn:schemas-microsoft-com:vml", "urn:schemas-microsoft-com:office:office"
    sheet = document.add_paragraph("A spreadsheet: ")
    sheet._p.append(parse_xml(
        f'<w:r xmlns:w="{W}" xmlns:v="{v}" xmlns:o="{o}" xmlns:r="{R}"><w:object><v:shape id="s1" style="width:40pt;height:30pt">'
        f'<v:imagedata r:id="{rid}" o:title=""/></v:shape>'
        f'<o:OLEObject Type="Embed" ProgID="Excel.Sheet.12" ShapeID="s1" DrawAspect="Content" ObjectID="_1" r:id="{rid}"/>'
        f'</w:object></w:r>'))
    chart = document.add_paragraph("A chart: ")
    chart._p.append(parse_xml(
        f'<w:r xmlns:w="{W}" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><w:drawing><wp:inline>'
        f'<wp:extent cx="100" cy="100"/><wp:docPr id="90" name="Chart 1"/><a:graphic>'
        f'<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"/></a:graphic></wp:inline></w:drawing></w:r>'))
    for n, target in enumerate((url, "file:///etc/hostname"), start=1):
        linked = _picture(document, picture("PNG", (20, 20)), f"Linked picture {n}")
        blip = linked._p.xpath(".//a:blip")[0]
        del blip.attrib[f"{{{R}}}embed"]
        blip.set(f"{{{R}}}link", document.part.relate_to(target, RT.IMAGE, is_external=True))
    broken = _picture(document, picture("PNG", (30, 30), (1, 2, 3)), "A broken picture")
    document.part.related_parts[broken._p.xpath(".//a:blip/@r:embed")[0]]._blob = b"\x89PNG\r\n\x1a\n" + b"no picture" * 8
    document.add_paragraph("After the objects.")
    path = folder / "oddities.docx"
    document.save(path)
    return path
