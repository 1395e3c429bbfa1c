"""HTML's content model, as far as articles need it: which element may stand where, and a check.

EPUBCheck validates each XHTML document against HTML's schema: a list inside a paragraph, a
stray ``<li>``, a caption after the rows, a ``<time>`` that holds no date, each is an error
(RSC-005). :func:`broken` says whether a clean article tree has any of that; repair.py mends
it. Valid articles, nearly all, pay one walk of the tree here and nothing in repair.py.
"""

from __future__ import annotations

import re

from masthead.runtime.safexml import XHTML

NS = f"{{{XHTML}}}"
HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
# Elements whose content must be phrasing (inline) content.
PHRASING_ONLY = frozenset("""
p pre span em strong b i u s small sub sup code cite q abbr dfn kbd samp var mark bdi bdo time
data ruby rt rp
""".split()) | HEADINGS
# Elements that are flow content but not phrasing content: a paragraph cannot hold them.
BLOCK = frozenset("""
address article aside blockquote details dialog div dl figure figcaption footer header hgroup hr
main nav ol p pre section table ul li dd dt tr td th tbody thead tfoot caption colgroup col summary
""".split()) | HEADINGS
TRANSPARENT = frozenset({"a", "ins", "del"})  # phrasing or flow, as their content is
SPLIT = frozenset({"p", "pre"}) | HEADINGS  # block-level phrasing containers: split around a block
# Where an element may stand (its parent's names); the key of the container made for strays.
PARENTS = {
    "li": ({"ul", "ol"}, "ul"),
    "dt": ({"dl"}, "dl"), "dd": ({"dl"}, "dl"),
    "tr": ({"table", "thead", "tbody", "tfoot"}, "table"),
    "td": ({"tr", "table", "thead", "tbody", "tfoot"}, "table"),
    "th": ({"tr", "table", "thead", "tbody", "tfoot"}, "table"),
    "thead": ({"table"}, "table"), "tbody": ({"table"}, "table"), "tfoot": ({"table"}, "table"),
}
RENAMED_AWAY = {"caption": ("table", "div"), "figcaption": ("figure", "div"), "summary": ("details", "div"),
                "rt": ("ruby", "span"), "rp": ("ruby", "span")}
_ALWAYS = frozenset({"time", "bdo", "data", "table", "dl", "figure", "details", "hgroup", "colgroup", "ruby", "summary", "li"})
_NO_TEXT = {"ul": {"li"}, "ol": {"li"}, "tr": {"td", "th"}, "thead": {"tr"}, "tbody": {"tr"}, "tfoot": {"tr"},
            "colgroup": {"col"}}
_NESTED = {"a": ("a",), "dfn": ("dfn",), "header": ("header", "footer", "address"),
           "footer": ("header", "footer", "address"), "address": ("address",), "details": ("a",)}
_TABLE_ORDER = re.compile(r"(caption )?(colgroup )*(thead )?((tbody )*|(tr )*)(tfoot )?")


def broken(tree) -> bool:
    """Does anything in the tree break the content model? One walk, no XPath: libxml2's XPath
    walks the text too, and was ten times slower on long articles."""
    skip = len(NS)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        name = element.tag[skip:]
        if name in _ALWAYS and _odd(element, name):
            return True
        parent = element.getparent()
        if parent is None:
            continue
        above = parent.tag[skip:]
        if name in BLOCK:
            while above in TRANSPARENT and parent.getparent() is not None:
                parent = parent.getparent()
                above = parent.tag[skip:]
            if above in PHRASING_ONLY:
                return True
        if name in ("dt", "dd") and above == "div" and parent.getparent() is not None \
                and parent.getparent().tag == NS + "dl":
            above = "dl"  # a <div> grouping a term with its definitions
        if (name in PARENTS and above not in PARENTS[name][0]) or (name in RENAMED_AWAY and above != RENAMED_AWAY[name][0]):
            return True
        if name == "col" and above != "colgroup":
            return True
        allowed = _NO_TEXT.get(name)
        if allowed is not None and ((element.text or "").strip() or any(
                c.tag[skip:] not in allowed or (c.tail or "").strip() for c in element)):
            return True
        nested = _NESTED.get(name)
        if nested is not None and next(element.iterancestors(*(NS + n for n in nested)), None) is not None:
            return True
    return False


def _odd(element, name: str) -> bool:
    """Is this element, one of those with rules of their own, off them?"""
    if name == "time":
        return not valid_datetime(element.get("datetime", "".join(element.itertext()).strip())) or \
            (element.get("datetime") is None and len(element) > 0)  # without datetime: text only
    if name == "li":
        return element.get("value") is not None and (element.getparent() is None or element.getparent().tag != NS + "ol")
    if name == "summary":
        return any(c.tag[len(NS):] in BLOCK and c.tag[len(NS):] not in HEADINGS for c in element)
    if name == "ruby":
        kinds = [c.tag[len(NS):] for c in element]
        if "rt" not in kinds:
            return True
        last = max(n for n, k in enumerate(kinds) if k in ("rt", "rp"))
        first = min(n for n, k in enumerate(kinds) if k in ("rt", "rp"))
        based = bool((element.text or "").strip()) or first > 0 or any((c.tail or "").strip() for c in element[:first])
        return not based or bool((element[last].tail or "").strip()) or last < len(kinds) - 1
    if name == "data":
        return element.get("value") is None
    if name == "bdo":
        return element.get("dir") not in ("ltr", "rtl")
    children = [c for c in element if isinstance(c.tag, str)]
    names = [c.tag[len(NS):] for c in children]
    texts = bool((element.text or "").strip()) or any((c.tail or "").strip() for c in children)
    if texts and (name not in ("details", "figure") or (name == "figure" and "figcaption" in names)):
        return True
    if name == "table":
        return not _TABLE_ORDER.fullmatch("".join(f"{n} " for n in names)) or \
            any(next(c.iter(NS + "table"), None) is not None for c in children if c.tag == NS + "caption")
    if name == "dl":
        return not (re.fullmatch(r"((dt )+(dd )+)*", "".join(f"{n} " for n in names))
                    or (names and set(names) == {"div"} and all(grouped(c) for c in children)))
    if name == "figure":
        return names.count("figcaption") > 1 or ("figcaption" in names and names[0] != "figcaption" and names[-1] != "figcaption")
    if name == "details":
        return not names or names[0] != "summary" or names.count("summary") > 1 or bool((element.text or "").strip())
    if name == "hgroup":
        return not heading_group(list(children))
    return any(n != "col" for n in names) or (bool(names) and element.get("span") is not None)  # colgroup


def grouped(div) -> bool:
    """A <div> in a <dl>, as HTML allows: terms, then their definitions, and nothing else."""
    names = [c.tag[len(NS):] for c in div]
    return bool(names) and not (div.text or "").strip() and all(not (c.tail or "").strip() for c in div) \
        and set(names) <= {"dt", "dd"} and names[0] == "dt" and names[-1] == "dd"


def heading_group(items: list) -> bool:
    """HTML's hgroup: one heading, with paragraphs before or after it, and nothing else."""
    names = [None if isinstance(i, str) else i.tag[len(NS):] for i in items if not isinstance(i, str) or i.strip()]
    return sum(n in HEADINGS for n in names) == 1 and all(n in HEADINGS or n == "p" for n in names)


# ------------------------------------------------------------------------------ dates

_DATE = r"(?P<y>[0-9]{4,})-(?P<m>[0-9][0-9])-(?P<d>[0-9][0-9])"
_TIME = r"(?P<H>[0-9][0-9]):(?P<M>[0-9][0-9])(?::(?P<S>[0-9][0-9])(?:\.[0-9]{1,3})?)?"
_ZONE = r"(?:Z|[+-](?P<zh>[0-9][0-9]):?(?P<zm>[0-9][0-9]))"
_DATETIME = re.compile("|".join([
    rf"(?:{_DATE})(?:[T ]{_TIME}{_ZONE}?)?",
    r"(?P<y2>[0-9]{4,})-(?P<m2>[0-9][0-9])", r"[0-9]{4,}", r"(?:--)?(?P<m3>[0-9][0-9])-(?P<d3>[0-9][0-9])",
    rf"{_TIME.replace('?P<', '?P<t')}", r"[0-9]{4,}-W(?P<w>[0-9][0-9])", _ZONE.replace("?P<", "?P<o"),
    r"P(?=[0-9]|T[0-9])(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]{1,3})?S)?)?",
    r"(?:\s*[0-9]+(?:\.[0-9]{1,3})?\s*[WDHMSwdhms])+\s*",
]))


_DATE_TIME = re.compile(rf"(?:{_DATE})(?:[T ]{_TIME}{_ZONE}?)?")


def valid_datetime(value: str) -> bool:
    """A date, time, zone, week or duration HTML's ``<time>`` accepts (its ranges checked)."""
    match = _DATETIME.fullmatch(value)
    return match is not None and _in_range(match)


def valid_date_time(value: str) -> bool:
    """A date, or a date and a time: what ``<del>`` and ``<ins>`` take (its ranges checked)."""
    match = _DATE_TIME.fullmatch(value)
    return match is not None and _in_range(match)


def _in_range(match: re.Match) -> bool:
    groups = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    month = groups.get("m", groups.get("m2", groups.get("m3", 1)))
    day = groups.get("d", groups.get("d3", 1))
    hour = groups.get("H", groups.get("tH", 0))
    minute = groups.get("M", groups.get("tM", 0))
    second = groups.get("S", groups.get("tS", 0))
    zone_ok = groups.get("zh", groups.get("ozh", 0)) <= 23 and groups.get("zm", groups.get("ozm", 0)) <= 59
    return 1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 59 \
        and 1 <= groups.get("w", 1) <= 53 and zone_ok
