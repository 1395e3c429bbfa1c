"""Join the PDFs of an issue's chunks (see pdfchunks.py) into one tagged PDF, as it is written.

Why not qpdf's page copier: qpdf keeps every object of the result in memory, about 1.6 KB an
object, and a tagged issue of 1,800 pages has 266,000 objects (250,000 of them structure
elements), so the join alone took 500 MB. Here each chunk is opened (pikepdf) in turn, the
objects its pages, structure, destinations and outline use are renumbered and written to the
output at once (the small ones packed in compressed object streams), and the chunk is closed.
Only what ties the chunks together is kept to the end: the page list, the parent tree, the
named destinations and the outline's targets, as PDF text.

Within a chunk the objects are found from the pages down (a breadth-first walk over each
object's references, read from its PDF text), so nothing unused is written, and references to
what the chunk had for itself alone become references to the joined document's own objects:
its page tree, its structure tree root and /Document element, the first chunk's namespaces.
Before a chunk is written:
- its parent-tree keys (pages' /StructParents, annotations' /StructParent) move past those of
  the chunks before it, since each chunk numbers them from 0;
- links into other chunks, which WeasyPrint wrote as URI actions to ``link_base + id`` (it
  drops a "#id" that is not in its own document), become links to the named destination;
- its font subsets get tags of their own: WeasyPrint derives a tag from the font alone, so
  every chunk would give its subset the same name, and a PDF's subsets must differ.
Furnished chunks (furniture.py): each page's content stream gets the furniture document's page
of the same number as a form drawn first (an artifact: running heads, folios, page background
and marks), then its own content, moved by the difference between its side's content box and
the one it was laid out in; its links' rectangles, the destinations on it and its figures'
layout boxes move with it. The zeros marked in a content stream (or a group's) become the page
numbers and reading times ``numbers`` gives, and the marks are taken off.
The outline is rebuilt from every chunk's bookmarks with their CSS levels, as WeasyPrint nests
them: a chunk that begins inside an issue section has articles (level 2) but not the section
(level 1) they belong under. The first chunk's catalog entries (metadata, XMP, output intents,
/Lang, /MarkInfo, viewer preferences) and document information are the joined document's;
its /ID keeps the first chunk's first element. Fonts and images are not merged across chunks.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections import deque
from collections.abc import Sequence
from urllib.parse import unquote

from masthead.layout import furniture

Bookmark = tuple[int, str, str]  # (CSS bookmark-level, label, "open" or "closed")
PACKED = 200  # objects in one object stream
_SUBSET = re.compile(r"/[A-Z]{6}\+")  # a subset font's name: "/ABCDEF+Masthead-Serif"
# A reference "12 0 R" in an object's PDF text, or a string (skipped: "(see 12 0 R)" is text).
_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<(?!<)[0-9A-Fa-f\s]*>|(?<![\w/.#+-])(\d+) (\d+) R(?![\w#])")


def join(parts: Sequence[bytes], bookmarks: Sequence[Sequence[Bookmark]], link_base: str, *,
         furniture: bytes | None = None, furnished: Sequence[bool] = (), shifts: Sequence[Sequence[tuple[float, float]]] = (),
         numbers: Sequence[dict[int, str] | None] = (), over: Sequence[bool] = ()) -> bytes:
    """The chunks' PDFs (in order) as one PDF; ``bookmarks[i]`` are chunk i's, in page order.

    With ``furniture`` (furniture.py's document, a page for each page of the issue), each page
    of a chunk that is ``furnished[i]`` gets its furniture page as a form drawn under it, and
    its content moved by ``shifts[i][page]`` (CSS px, as its links, destinations and figures'
    boxes); the form goes over the content instead for page N when ``over[N]`` (it paints no
    background: its marks then show above a picture printed to the bleed).
    ``numbers[i]``: the page numbers to write where chunk i's marked zeros are."""
    import pikepdf  # only the chunked path needs it

    joined: _Joined | None = None
    extra = pikepdf.open(io.BytesIO(furniture)) if furniture else None
    try:
        for number, data in enumerate(parts):
            with pikepdf.open(io.BytesIO(data)) as source:
                joined = joined or _Joined(source, extra, len(parts), over)
                joined.add(source, number, link_base, furnished=bool(furnished and furnished[number]),
                           shifts=shifts[number] if shifts else (), numbers=numbers[number] if numbers else None)
        assert joined is not None, "no chunks to join"
        return joined.finish([mark for chunk in bookmarks for mark in chunk])
    finally:
        if extra is not None:
            extra.close()


class _Joined:
    """The joined PDF while it is written, and what ties its chunks together."""

    def __init__(self, front, extra=None, parts: int = 1, over: Sequence[bool] = ()) -> None:
        version = str(front.pdf_version)
        self.file = _File(version, packed=version >= "1.5")  # (PDF/A-1, version 1.4, has no object streams)
        self.catalog, self.pages_root, self.tree_root, self.document = (self.file.reserve() for _ in range(4))
        self.pages: list[int] = []
        self.nums: list[tuple[int, bytes]] = []  # the parent tree: key, value as PDF text
        self.dests: dict[str, bytes] = {}
        self.targets: list[bytes] = []  # outline items' destinations, in document order
        self.kids: list[bytes] = []  # the /Document element's
        self.roles: dict[str, bytes] = {}
        self.namespaces: dict[bytes, int] = {}  # namespace URI → its object
        # What the first chunk gives the whole, as PDF text: catalog entries, other name trees,
        # structure tree root and /Document entries, document information, first /ID element.
        self.front: dict[str, bytes] = {}
        self.extra = extra  # the furniture document, whose page N is drawn under (or over) the page N
        self.over = over
        if extra is not None:
            _retag_fonts(extra, parts)  # (its fonts are the first chunk's faces: subsets of their own)
            self.furniture = _Chunk(extra, self.file, {})

    def add(self, source, number: int, link_base: str, furnished: bool = False,
            shifts: Sequence[tuple[float, float]] = (), numbers: dict[int, str] | None = None) -> None:
        import pikepdf

        root = source.Root.StructTreeRoot
        (document,) = _as_list(root.K)
        offset = max((key for key, _ in self.nums), default=-1) + 1
        _retag_fonts(source, number)
        own: dict[tuple[int, int], int] = {}
        moved: dict[tuple[int, int], tuple[float, float]] = {}  # page → its content's move, in points
        for index, page in enumerate(source.pages):
            at = len(self.pages) + index
            move = shifts[index] if furnished and index < len(shifts) else (0.0, 0.0)
            form = self._form(at) if furnished and self.extra is not None else None
            _furnish(source, page.obj, form, move, numbers, own, at < len(self.over) and self.over[at])
            if move != (0.0, 0.0):
                moved[page.obj.objgen] = (move[0] * furniture.PX, -move[1] * furniture.PX)
        for page in source.pages:
            page = page.obj
            _move_annotations(page, moved.get(page.objgen))
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + offset
            for annotation in page.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
                action = annotation.get("/A")
                if action is not None and action.get("/S") == "/URI" and str(action.URI).startswith(link_base):
                    del annotation["/A"]  # a link to another chunk: written as WeasyPrint writes internal ones
                    annotation.Dest = annotation.Contents = pikepdf.String(unquote(str(action.URI)[len(link_base):]))
        own.update({source.Root.Pages.objgen: self.pages_root, root.objgen: self.tree_root, document.objgen: self.document})
        for space in root.get("/Namespaces", ()):
            if space.NS.unparse() in self.namespaces:
                own[space.objgen] = self.namespaces[space.NS.unparse()]
        chunk = _Chunk(source, self.file, own, moved)
        self.pages += [chunk.ref(page.obj) for page in source.pages]
        for space in root.get("/Namespaces", ()):
            self.namespaces.setdefault(space.NS.unparse(), chunk.ref(space))
        self.kids += [chunk.text(kid) for kid in _as_list(document.K)]
        self.nums += [(int(key) + offset, chunk.text(value)) for key, value in _tree_items(root.ParentTree, "/Nums")]
        self.roles.update((role, chunk.text(value)) for role, value in root.get("/RoleMap", {}).items())
        if "/Dests" in source.Root.get("/Names", {}):
            self.dests.update((name, chunk.text(_moved_dest(dest, moved)))
                              for name, dest in _tree_items(source.Root.Names.Dests, "/Names"))
        self.targets += [chunk.text(_moved_dest(dest, moved)) for dest in _outline_dests(source)]
        if number == 0:
            made_here = ("/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/Names")
            self.front = {
                "catalog": chunk.entries(source.Root, made_here),
                "names": chunk.entries(source.Root.get("/Names", pikepdf.Dictionary()), ("/Dests",)),
                "tree": chunk.entries(root, ("/K", "/ParentTree", "/ParentTreeNextKey", "/RoleMap")),
                "document": chunk.entries(document, ("/K", "/P")),
                "info": chunk.text(source.trailer.Info) if "/Info" in source.trailer else b"",
                "id": source.trailer.ID[0].unparse() if "/ID" in source.trailer else b"",
            }
        chunk.write_all()
        if self.extra is not None:
            self.furniture.write_all()

    def _form(self, index: int) -> int:
        """The joined file's number for a form of the furniture document's page ``index``."""
        import pikepdf

        page = self.extra.pages[index].obj
        form = pikepdf.Stream(self.extra, b"")
        form.write(zlib.compress(furniture.artifact(_content(page))), filter=pikepdf.Name.FlateDecode)
        form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        form.BBox = page.MediaBox
        form.Resources = page.Resources
        return self.furniture.ref(self.extra.make_indirect(form))

    def finish(self, flat: list[Bookmark]) -> bytes:
        if len(flat) != len(self.targets):
            raise RuntimeError(f"PDF join: {len(flat)} bookmarks but {len(self.targets)} outline items in the chunks")
        file, front = self.file, self.front
        file.add(self.pages_root, b"<< /Type /Pages /Count %d /Kids [ %s ] >>"
                 % (len(self.pages), b" ".join(b"%d 0 R" % page for page in self.pages)))
        file.add(self.document, b"<< %s /K [ %s ] /P %d 0 R >>" % (front["document"], b" ".join(self.kids),
                                                                    self.tree_root))
        nums = b" ".join(b"%d %s" % (key, value) for key, value in sorted(self.nums, key=lambda n: n[0]))
        roles = b" ".join(_name(role) + b" " + value for role, value in sorted(self.roles.items()))
        file.add(self.tree_root, b"<< %s /K [ %d 0 R ] /ParentTree << /Nums [ %s ] >> /ParentTreeNextKey %d%s >>"
                 % (front["tree"], self.document, nums, max((k for k, _ in self.nums), default=-1) + 1,
                    b" /RoleMap << %s >>" % roles if roles else b""))
        dests = b" ".join(_string(name) + b" " + self.dests[name] for name in sorted(self.dests, key=str.encode))
        names = front["names"] + (b" /Dests << /Names [ %s ] >>" % dests if self.dests else b"")
        outline = _outline(file, _nest(flat), self.targets)
        file.add(self.catalog, b"<< /Type /Catalog /Pages %d 0 R /StructTreeRoot %d 0 R %s%s%s >>"
                 % (self.pages_root, self.tree_root, front["catalog"], b" /Names << %s >>" % names if names else b"",
                    b" /Outlines %d 0 R" % outline if outline else b""))
        return file.finish(self.catalog, front["info"], front["id"])


class _Chunk:
    """One chunk's objects, renumbered for the joined file and written to it."""

    def __init__(self, source, file: _File, own: dict[tuple[int, int], int],
                 moved: dict[tuple[int, int], tuple[float, float]] | None = None) -> None:
        self.source, self.file = source, file
        self.moved = moved or {}  # page → how far its content moved (points): its figures' boxes move too
        self.numbers = dict(own)  # the chunk's object (num, gen) → its number in the joined file
        self.queue: deque = deque()  # objects numbered, not yet written

    def ref(self, obj) -> int:
        """The joined file's number for one of the chunk's objects (written in write_all)."""
        return self._number(obj.objgen)

    def text(self, obj) -> bytes:
        """PDF text of a value, its references renumbered (a reference stays a reference)."""
        if isinstance(obj, bool):
            return b"true" if obj else b"false"
        if not hasattr(obj, "unparse"):
            return str(obj).encode()  # a number
        if obj.is_indirect:
            return b"%d 0 R" % self.ref(obj)
        return self._renumbered(obj.unparse())

    def entries(self, dictionary, leaving: tuple[str, ...]) -> bytes:
        """A dictionary's entries as PDF text, but for those named in ``leaving``."""
        return b" ".join(_name(key) + b" " + self.text(value)
                         for key, value in dictionary.items() if key not in leaving)

    def _number(self, objgen: tuple[int, int]) -> int:
        number = self.numbers.get(objgen)
        if number is None:
            number = self.numbers[objgen] = self.file.reserve()
            self.queue.append(objgen)
        return number

    def write_all(self) -> None:
        """Write every object reached from what was asked for so far."""
        import pikepdf

        while self.queue:
            objgen = self.queue.popleft()
            obj = self.source.get_object(objgen)
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                entries = self.entries(obj.stream_dict, ("/Length",))  # the chunk's may be an object: a number here
                self.file.add_stream(self.numbers[objgen], b"<< %s /Length %d >>" % (entries, len(raw)), raw)
            else:
                if self.moved and isinstance(obj, pikepdf.Dictionary) and "/A" in obj and "/Pg" in obj:
                    _move_box(obj, self.moved.get(obj.Pg.objgen))
                self.file.add(self.numbers[objgen], self._renumbered(obj.unparse(resolved=True)))

    def _renumbered(self, text: bytes) -> bytes:
        def renumber(match: re.Match) -> bytes:
            if match.group(1) is None:
                return match.group(0)  # a string
            return b"%d 0 R" % self._number((int(match.group(1)), int(match.group(2))))

        return _TOKEN.sub(renumber, text)


class _File:
    """A PDF file being written: objects, packed into object streams when ``packed``, and the
    cross-reference section (a stream when packed, a table when not)."""

    def __init__(self, version: str, packed: bool) -> None:
        self.out = io.BytesIO()
        self.out.write(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version.encode())
        self.packed = packed
        self.entries: dict[int, tuple[int, int, int]] = {}  # number → (type, offset or stream, index)
        self.waiting: list[tuple[int, bytes]] = []
        self.count = 0

    def reserve(self) -> int:
        self.count += 1
        return self.count

    def add(self, number: int, body: bytes) -> None:
        if not self.packed:
            self._write(number, body)
            return
        self.waiting.append((number, body))
        if len(self.waiting) >= PACKED:
            self._pack()

    def add_stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        self._write(number, dictionary + b"\nstream\n" + data + b"\nendstream")

    def finish(self, root: int, info: bytes, first_id: bytes) -> bytes:
        self._pack()
        info_entry = b" /Info %s" % info if info else b""
        second_id = b"(%s)" % hashlib.md5(self.out.getbuffer()).hexdigest().encode()  # from the content, no clock
        ids = b" /ID [ %s %s ]" % (first_id or second_id, second_id)
        if self.packed:
            number = self.reserve()
            self.entries[number] = (1, self.out.tell(), 0)
            rows = b"".join(bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big")
                            for kind, a, b in (self.entries.get(n, (0, 0, 65535)) for n in range(self.count + 1)))
            data = zlib.compress(rows)
            self._write(number, b"<< /Type /XRef /Size %d /W [ 1 4 2 ] /Root %d 0 R%s%s /Filter /FlateDecode "
                        b"/Length %d >>\nstream\n%s\nendstream"
                        % (self.count + 1, root, info_entry, ids, len(data), data), record=False)
            start = self.entries[number][1]
        else:
            start = self.out.tell()
            self.out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (self.count + 1))
            for n in range(1, self.count + 1):
                self.out.write(b"%010d 00000 n \n" % self.entries[n][1])
            self.out.write(b"trailer\n<< /Size %d /Root %d 0 R%s%s >>\n" % (self.count + 1, root, info_entry, ids))
        self.out.write(b"startxref\n%d\n%%%%EOF\n" % start)
        return self.out.getvalue()

    def _write(self, number: int, body: bytes, record: bool = True) -> None:
        if record:
            self.entries[number] = (1, self.out.tell(), 0)
        self.out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _pack(self) -> None:
        if not self.waiting:
            return
        number = self.reserve()
        head, bodies, offset = [], [], 0
        for index, (member, body) in enumerate(self.waiting):
            head.append(b"%d %d" % (member, offset))
            bodies.append(body + b"\n")
            offset += len(body) + 1
            self.entries[member] = (2, number, index)
        first = b" ".join(head) + b"\n"
        data = zlib.compress(first + b"".join(bodies))
        self._write(number, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\n"
                    b"endstream" % (len(self.waiting), len(first), len(data), data))
        self.waiting = []


def _content(page) -> bytes:
    """A page's content stream, decoded (its parts joined when it has several)."""
    import pikepdf

    contents = page.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


def _furnish(source, page, form: int | None, move: tuple[float, float], numbers: dict[int, str] | None,
             own: dict[tuple[int, int], int], over: bool = False) -> None:
    """A chunk's page made ready for the join: its marked page numbers written (or only the
    marks taken off), and when ``form`` (the furniture's number in the joined file), that form
    drawn under its content, moved by ``move`` (CSS px)."""
    import pikepdf

    for group in _groups(page.get("/Resources")):  # text drawn in a group (opacity) is marked there
        data = group.read_bytes()
        fixed = furniture.patch(data, numbers)
        if fixed is not data:
            group.write(zlib.compress(fixed), filter=pikepdf.Name.FlateDecode)
    content = _content(page)
    patched = furniture.patch(content, numbers)
    if form is None and patched is content:
        return
    if form is not None:
        stand_in = source.make_indirect(pikepdf.Dictionary())  # stands for the form: written as a reference to it
        own[stand_in.objgen] = form
        resources = pikepdf.Dictionary(dict(page.get("/Resources", {}).items()))
        xobjects = pikepdf.Dictionary(dict(resources.get("/XObject", {}).items()))
        xobjects[furniture.FORM] = stand_in
        resources.XObject = xobjects
        page.Resources = resources
        drawn = b"q %s Do Q" % furniture.FORM.encode()
        moved = b"q 1 0 0 1 %s %s cm\n%s\nQ" % (_real(move[0] * furniture.PX), _real(-move[1] * furniture.PX), patched)
        patched = moved + b"\n" + drawn if over else drawn + b"\n" + moved
    stream = pikepdf.Stream(source, b"")
    stream.write(zlib.compress(patched), filter=pikepdf.Name.FlateDecode)
    page.Contents = source.make_indirect(stream)


def _groups(resources, seen: set | None = None) -> list:
    """The form XObjects a page's resources name, and theirs, each once."""
    import pikepdf

    seen = set() if seen is None else seen
    found = []
    for xobject in (resources or {}).get("/XObject", {}).values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            found.append(xobject)
            found += _groups(xobject.get("/Resources"), seen)
    return found


def _real(value: float) -> bytes:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()


def _move_annotations(page, move: tuple[float, float] | None) -> None:
    import pikepdf

    if move is None:
        return
    for annotation in page.get("/Annots", ()):
        for key in ("/Rect", "/QuadPoints"):
            if key in annotation:
                values = [float(v) for v in annotation[key]]
                annotation[key] = pikepdf.Array([round(v + move[i % 2], 4) for i, v in enumerate(values)])


def _moved_dest(dest, moved: dict[tuple[int, int], tuple[float, float]]):
    """An explicit destination [page /XYZ left top zoom] on a moved page, moved with it."""
    import pikepdf

    if not moved or not isinstance(dest, pikepdf.Array) or len(dest) < 4 or str(dest[1]) != "/XYZ":
        return dest
    page = dest[0]
    move = moved.get(page.objgen) if isinstance(page, pikepdf.Dictionary) else None
    if move is None:
        return dest
    values: list = list(dest)
    for i, axis in ((2, 0), (3, 1)):
        if values[i] is not None:  # (null: "the current left" or "top", which does not move)
            values[i] = round(float(values[i]) + move[axis], 4)
    return pikepdf.Array(values)


def _move_box(element, move: tuple[float, float] | None) -> None:
    """A structure element's layout box (WeasyPrint gives figures one, in CSS px from the page's
    top left) moved with its page's content."""
    import pikepdf

    attributes = element.get("/A")
    if move is None or not isinstance(attributes, pikepdf.Dictionary) or "/BBox" not in attributes:
        return
    dx, dy = move[0] / furniture.PX, -move[1] / furniture.PX
    values = [float(v) for v in attributes.BBox]
    attributes.BBox = pikepdf.Array([round(v + (dx, dy)[i % 2], 4) for i, v in enumerate(values)])


def _retag_fonts(pdf, number: int) -> None:
    """New subset tags for chunk ``number``'s fonts, the same for each name in every run."""
    import pikepdf

    renamed: dict[str, pikepdf.Name] = {}
    fonts = {font.objgen: font for page in pdf.pages for font in page.obj.Resources.get("/Font", {}).values()}
    named = [(font, "/BaseFont") for font in fonts.values()]
    named += [(cid, "/BaseFont") for font in fonts.values() for cid in font.get("/DescendantFonts", ())]
    named += [(font.FontDescriptor, "/FontName") for font, _ in named if "/FontDescriptor" in font]
    for obj, key in named:  # (from the pages, not pdf.objects: that would load every object)
        name = str(obj.get(key, ""))
        if number and _SUBSET.match(name):
            if name not in renamed:
                digest = hashlib.md5(f"{name}/{number}".encode()).digest()
                renamed[name] = pikepdf.Name("/" + "".join(chr(65 + b % 26) for b in digest[:6]) + name[7:])
            obj[key] = renamed[name]


def _as_list(value) -> list:
    import pikepdf

    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _tree_items(node, key: str) -> list:
    """The (key, value) pairs of a PDF name or number tree, in order."""
    items = []
    flat = node.get(key)
    if flat is not None:
        items += [(flat[i] if key == "/Nums" else str(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]
    for kid in node.get("/Kids", ()):
        items += _tree_items(kid, key)
    return items


def _outline_dests(pdf) -> list:
    """The destinations of a PDF's outline items, in document (pre-)order."""
    found: list = []

    def walk(item):
        while item is not None:
            found.append(item.Dest)
            walk(item.get("/First"))
            item = item.get("/Next")

    if "/Outlines" in pdf.Root:
        walk(pdf.Root.Outlines.get("/First"))
    return found


def _name(key: str) -> bytes:
    import pikepdf

    return pikepdf.Name(key).unparse()


def _string(text: str) -> bytes:
    import pikepdf

    return pikepdf.String(text).unparse()


def _outline(file: _File, tree: list, targets: list[bytes]) -> int | None:
    """Write the outline items (counted as WeasyPrint counts them); the outline's number."""
    if not tree:
        return None
    root = file.reserve()

    def add(marks: list, parent: int) -> tuple[list[int], int]:
        numbers = [file.reserve() for _ in marks]
        count = len(marks)
        for i, (label, index, children, state) in enumerate(marks):
            kids, kids_count = add(children, numbers[i])
            count += 0 if state == "closed" else kids_count
            links = [b"/Parent %d 0 R" % parent, b"/Count %d" % (-kids_count if state == "closed" else kids_count)]
            if i:
                links.append(b"/Prev %d 0 R" % numbers[i - 1])
            if i + 1 < len(marks):
                links.append(b"/Next %d 0 R" % numbers[i + 1])
            if kids:
                links.append(b"/First %d 0 R /Last %d 0 R" % (kids[0], kids[-1]))
            file.add(numbers[i], b"<< /Title %s /Dest %s %s >>" % (_string(label), targets[index], b" ".join(links)))
        return numbers, count

    items, count = add(tree, root)
    file.add(root, b"<< /Count %d /First %d 0 R /Last %d 0 R >>" % (count, items[0], items[-1]))
    return root


def _nest(flat: list[Bookmark]) -> list:
    """Bookmarks as trees (label, index in ``flat``, children, state), nested as WeasyPrint 70
    nests them (its anchors.make_page_bookmark_tree, which needs a weasyprint import that the
    parent would pay for in memory): a deeper level is a child however many levels it skips."""
    root: list = []
    skipped: list[int] = []  # for each depth, how many CSS levels it skipped
    last_by_depth = [root]
    previous = 0
    for index, (level, label, state) in enumerate(flat):
        if level > previous:
            skipped.append(level - previous - 1)
        else:
            shallower = level
            while shallower < previous:
                shallower += 1 + skipped.pop()
            if shallower > previous:
                skipped.append(shallower - previous - 1)
        previous = level
        depth = level - sum(skipped)
        children: list = []
        last_by_depth[depth - 1].append((label, index, children, state))
        del last_by_depth[depth:]
        last_by_depth.append(children)
    return root
