"""The EPUBs, read page by page in reading engines: what a reader sees, measured in the page.

Validators check the file; readers read the page (issue 21). tools/readers/run-lab.sh opens each
EPUB the tests build in the system's Chromium, in epub.js 0.3.93 (`flow: paginated`, the engine
inside many reading apps) and in the Readium web navigator 2.4.0 (Thorium and library apps),
turns every page (`rendition.next()`, `goForward()`) and measures inside each page's document;
these tests assert on its JSON report. Themes are applied as apps apply them: in epub.js the
body's colour and background overridden, nothing else (sepia #5b4636 on #f4ecd8, night #e0e0e0
on #121212), in Readium its backgroundColor/textColor preferences; type is enlarged with
`themes.fontSize` / the fontSize preference.

What runs (about two minutes on two busy cores): in epub.js, the English sample (with its
Arabic article), the Arabic sample (with its English article) and the English one's KEPUB at
phone 390x844 and tablet 820x1180, 100 % and 200 % type, and strand-1891 at phone size 100 %
(436 pages) and tablet size 200 %; colours are measured on every document in all three themes
during each walk (a theme changes colours, never layout). In Readium, the samples and the KEPUB
at both sizes and both type sizes, each run in one of the three themes (Readium restyles the
page for a theme, so each needs a run of its own), strand at phone size 100 % (night) and
tablet size 200 % (sepia). MASTHEAD_LAB_FULL=1 runs every book in both engines at every size,
type size and (Readium) theme (about eleven minutes).

Where today's theme fails a property, the case is marked xfail(strict=True) with what the lab
found: the mark must go when issue 21's fix lands (a strict xfail that passes fails the run).
Without node, npm or chromium these tests skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import CORPUS, ROOT, SAMPLE, build_folder, need, once

RUN_LAB = ROOT / "tools" / "readers" / "run-lab.sh"
ARABIC = ROOT / "issues" / "al-fanar-2025-11-28"
FULL = os.environ.get("MASTHEAD_LAB_FULL") == "1"
THEMES = ("default", "sepia", "night")
ALL_RUNS = (("phone", 100), ("phone", 200), ("tablet", 100), ("tablet", 200))
# epub.js: (size, type size), every theme's colours measured on the way. Readium restyles the
# page for a theme, so each of its runs is (size, type size, theme).
BOOKS = {
    "lantern": ALL_RUNS,
    "al-fanar": ALL_RUNS,
    # strand at phone size and 200 % (1,800 pages: 53 s in epub.js, 82 s per Readium theme) in
    # the full run only; its other runs, between them, cover both sizes and both type sizes
    "strand": ALL_RUNS if FULL else (("phone", 100), ("tablet", 200)),
    "lantern-kepub": ALL_RUNS,
}
# Readium: every size and type size, each in one of the three themes (layout is the same in
# every theme, so each run stands for the others' layout); all twelve with MASTHEAD_LAB_FULL=1.
READIUM_RUNS = (("phone", 100, "night"), ("phone", 200, "default"), ("tablet", 100, "sepia"), ("tablet", 200, "night"))
READIUM_ALL = tuple((s, f, t) for s, f in ALL_RUNS for t in THEMES)
READIUM = {
    "lantern": READIUM_ALL if FULL else READIUM_RUNS,
    "al-fanar": READIUM_ALL if FULL else READIUM_RUNS,
    "lantern-kepub": READIUM_ALL if FULL else READIUM_RUNS,
    "strand": READIUM_ALL if FULL else (("phone", 100, "night"), ("tablet", 200, "sepia")),
}

# What the lab still measures on the theme, case by case (first measured at 8b34542; after the
# theme's fixes for issue 21 only these remain). Remove an entry when a fix makes its case pass:
# the strict xfail then fails the run until it is removed. An "engine:" reason is the engine's.
READIUM_RTL = ("Readium 2.4.0 goes forward by scrolling right (go_next) and a right-to-left document starts at "
               "scrollX 0, so it shows the first page of each dir=rtl document and moves on")
KNOWN = {
    "skipped": {
        f"al-fanar-readium-{s}-{f}-{t}": f"engine: {READIUM_RTL}: 1 page each of al-mina (2), madina-la-tanam (3), kitab (2); "
                                         "an RTL issue cannot avoid it"
        for s, f, t in READIUM["al-fanar"]
    },
    "stranded": dict.fromkeys(
        ("strand-phone-200", "strand-readium-phone-200-default", "strand-readium-phone-200-sepia", "strand-readium-phone-200-night"),
        "engine: at 200 % type on a phone a story's last paragraph and 'More from' (half a page) together "
        "are taller than the page; Chromium breaks inside 'More from' after its title (break-after: avoid) "
        "instead of inside the paragraph (1 title in 1,800 pages; docs/reading-lab.md)"),
}


def cases(kind: str, ids: list[str]) -> list:
    known = KNOWN.get(kind, {})
    return [pytest.param(i, id=i, marks=pytest.mark.xfail(strict=True, reason=known[i])) if i in known else i
            for i in ids]


# A case names a run: "lantern-phone-100" (epub.js), "lantern-readium-phone-100-night".
RUNS = {f"{book}-{size}-{font}": (book, "epubjs", size, font, "default")
        for book, runs in BOOKS.items() for size, font in runs}
RUNS |= {f"{book}-readium-{size}-{font}-{theme}": (book, "readium", size, font, theme)
         for book, runs in READIUM.items() for size, font, theme in runs}
RUN_IDS = list(RUNS)
RUN_IDS_100 = [i for i, r in RUNS.items() if r[3] == 100]
PHONE_RUN_IDS = [i for i, r in RUNS.items() if r[2:4] == ("phone", 100)]
THEME_IDS = [f"{book}-{theme}" for book in BOOKS for theme in THEMES]
THEME_IDS += [f"{book}-readium-{theme}" for book, runs in READIUM.items() for theme in sorted({r[2] for r in runs})]


# ---- running the lab -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def lab_tools() -> None:
    """Skip, before anything is built, where the lab cannot run."""
    for tool in ("node", "npm", "chromium"):
        need(tool)


@pytest.fixture(scope="session")
def lab_cache(tmp_path_factory) -> Path:
    """A folder all test workers share, so each book is paged through once per session."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "reading-lab"
    folder.mkdir(exist_ok=True)
    return folder


def run_lab(epub: Path, name: str, cache: Path) -> dict:
    runs = BOOKS[name]
    spec = [{"book": str(epub), "sizes": sorted({s for s, _ in runs}), "themes": list(THEMES),
             "fonts": sorted({f for _, f in runs}), "readium": [list(r) for r in READIUM.get(name, ())]}]
    key = hashlib.sha256(epub.read_bytes() + json.dumps(spec[0], sort_keys=True).replace(str(epub), "").encode()).hexdigest()[:16]
    report = cache / f"{key}.json"
    with open(cache / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not report.exists():
            spec_file = cache / f"{key}.spec.json"
            spec_file.write_text(json.dumps(spec), encoding="utf-8")
            result = subprocess.run(["bash", str(RUN_LAB), "--spec", str(spec_file), "--out", str(report) + ".tmp"],
                                    capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, f"the lab could not read {epub.name}:\n{result.stderr[-3000:]}"
            os.replace(str(report) + ".tmp", report)
    data = json.loads(report.read_text(encoding="utf-8"))
    out = {}
    for run in data["books"][0]["runs"]:
        c = run["config"]
        assert "error" not in run, f"the lab failed on {epub.name} {run.get('engine')} {c}: {run['error']}"
        engine = "readium" if run["engine"].startswith("Readium") else "epubjs"
        out[(engine, c["size"], c["font"], c["theme"])] = run
    return out


ISSUES = {"lantern": (SAMPLE, "epub"), "lantern-kepub": (SAMPLE, "kepub"), "al-fanar": (ARABIC, "epub")}


@pytest.fixture(scope="session")
def lab_book(lab_tools, lab_cache, tmp_path_factory):
    """name -> {(size, font): run}, each book built and paged through once.

    The books are built here, EPUB and KEPUB only: the same files sample_build and strand_build
    make (builds are byte-identical), without the PDF those fixtures also make, which would
    cost more than the whole lab (strand's PDF takes over a minute on two busy cores).
    """
    done: dict[str, dict] = {}
    built: dict[Path, dict] = {}

    def get(name: str) -> dict:
        if name not in done:
            issue, fmt = (CORPUS, "epub") if name == "strand" else ISSUES[name]
            if issue not in built:
                built[issue] = once(tmp_path_factory, "lab-" + issue.name, lambda folder, issue=issue: build_lab_book(issue, folder))
            done[name] = run_lab(built[issue][fmt], name, lab_cache)
        return done[name]

    return get


def build_lab_book(issue: Path, folder: Path) -> dict[str, Path]:
    """The book's EPUB (and the sample's KEPUB), built once for every test worker; the corpus from
    a copy (it is never written)."""
    if issue == CORPUS:
        issue = Path(shutil.copytree(CORPUS, folder / CORPUS.name))
    return build_folder(issue, folder / "out", "epub,kepub" if issue == SAMPLE else "epub")


def run_for(lab_book, case: str) -> dict:
    book, engine, size, font, theme = RUNS[case]
    return lab_book(book)[(engine, size, font, theme)]


def where(run: dict) -> str:
    c = run["config"]
    return f"{run['engine']}, {c['size']} {c['width']}x{c['height']}, {c['font']} % type, {c['theme']} theme"


# ---- the properties ------------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("order", RUN_IDS))
def test_every_spine_document_is_reached_in_reading_order(lab_book, case):
    run = run_for(lab_book, case)
    assert run["pages"] >= len(run["spine"]) > 2
    assert run["missing"] == [], f"never reached at {where(run)}: {run['missing']}"
    assert run["visited"] == run["spine"], f"reached out of order at {where(run)}"


@pytest.mark.parametrize("case", cases("blank", RUN_IDS))
def test_no_page_is_blank(lab_book, case):
    run = run_for(lab_book, case)
    blank = {href: s["blankPages"] for href, s in run["sections"].items() if s["blankPages"]}
    assert sum(s["pages"] for s in run["sections"].values()) == run["pages"]
    assert blank == {}, f"pages with nothing on them at {where(run)}: {blank}"


@pytest.mark.parametrize("case", cases("skipped", RUN_IDS))
def test_turning_pages_shows_every_line(lab_book, case):
    run = run_for(lab_book, case)
    unseen = {href: f"{s['unseen']} lines never shown, pages {s['pages']} of {s['columns']}, from {s['unseenFirst']!r}"
              for href, s in run["sections"].items() if s["unseen"]}
    assert run["pages"] >= len(run["spine"])
    assert unseen == {}, f"pages skipped at {where(run)}: {unseen}"


@pytest.mark.parametrize("case", cases("headline", RUN_IDS))
def test_each_article_opens_on_a_page_showing_its_headline(lab_book, case):
    run = run_for(lab_book, case)
    articles = {href: s["headline"] for href, s in run["sections"].items() if s.get("headline")}
    assert len(articles) >= 3
    missing = {href: h["text"] for href, h in articles.items() if not h["onFirstPage"]}
    assert missing == {}, f"first page without the headline at {where(run)}: {missing}"


@pytest.mark.parametrize("case", cases("contrast", THEME_IDS))
def test_every_visible_text_has_aa_contrast_against_what_is_behind_it(lab_book, case):
    book, theme = case.rsplit("-", 1)
    engine = "epubjs"
    if book.endswith("-readium"):
        book, engine = book[: -len("-readium")], "readium"
    failures, texts = {}, 0
    for key, run in lab_book(book).items():
        if key[0] != engine or theme not in run["sections"][run["spine"][0]]["contrast"]:
            continue
        for href, section in run["sections"].items():
            measured = section["contrast"][theme]
            texts += measured["texts"]
            for f in measured["failures"]:
                failures.setdefault((href, f["where"], f["fg"], f["bg"]), f)
    assert texts > 100
    worst = sorted(failures.items(), key=lambda item: item[1]["ratio"] / item[1]["need"])
    report = "\n".join(f"  {r['ratio']}:1 (needs {r['need']}) {r['fg']} on {r['bg']} {r['size']}px "
                       f"{href} {w}: {r['text']!r}" for (href, w, _, _), r in worst[:12])
    assert not failures, f"{len(failures)} texts under WCAG AA in the {theme} theme, worst first:\n{report}"


@pytest.mark.parametrize("case", cases("overflow", RUN_IDS))
def test_nothing_is_wider_than_the_page(lab_book, case):
    run = run_for(lab_book, case)
    wide = [f"{href} {o['what']}: {o['width']} px on a {o['page']} px page ({o['text']!r})"
            for href, s in run["sections"].items() for o in s["overflow"]]
    assert run["pages"] > 0
    assert wide == [], f"wider than the page at {where(run)}:\n" + "\n".join(wide)


@pytest.mark.parametrize("case", cases("stranded", RUN_IDS))
def test_no_heading_term_header_row_or_more_from_title_is_the_last_thing_on_a_page(lab_book, case):
    run = run_for(lab_book, case)
    stranded = [f"{href} page {x['page']}: {x['kind']} {x['text']!r}"
                for href, s in run["sections"].items() for x in s["stranded"]]
    assert run["pages"] > 0
    assert stranded == [], f"left at the foot of a page at {where(run)}:\n" + "\n".join(stranded)


@pytest.mark.parametrize("case", cases("chrome_pages", RUN_IDS_100))
def test_more_from_never_takes_a_page_of_its_own(lab_book, case):
    run = run_for(lab_book, case)
    pages = {href: (s["moreFrom"]["chromeOnlyPages"], s["pages"]) for href, s in run["sections"].items()
             if s["moreFrom"]["chromeOnlyPages"]}
    assert any(s.get("article") for s in run["sections"].values())
    assert pages == {}, f"pages holding only 'More from' at {where(run)} (such pages, of the article's): {pages}"


@pytest.mark.parametrize("case", cases("more_from_height", PHONE_RUN_IDS))
def test_more_from_takes_at_most_a_third_of_a_phone_page(lab_book, case):
    run = run_for(lab_book, case)
    heights = {href: s["moreFrom"]["height"] for href, s in run["sections"].items() if s["moreFrom"]["height"]}
    assert heights, "no 'More from' measured"
    third = run["config"]["height"] / 3
    tall = {href: h for href, h in heights.items() if h > third}
    assert tall == {}, f"'More from' taller than a third of the {run['config']['height']} px phone page (px): {tall}"


def notes_of(lab_book, book: str) -> list[tuple[str, dict]]:
    notes = [(href, n) for key, run in lab_book(book).items() if key[0] == "epubjs"
             for href, s in run["sections"].items() for n in s["noterefs"]]
    assert len(notes) >= 2, "the book has no note references to follow"
    return notes


@pytest.mark.parametrize("case", cases("notes", ["lantern", "lantern-kepub"]))
def test_note_references_reach_their_notes_and_the_notes_link_back(lab_book, case):
    broken = sorted({f"{href} {n['ref']} -> {n['href']}: {p}" for href, n in notes_of(lab_book, case)
                     for p in n["problems"] if not p.startswith("set like")})
    assert broken == []


@pytest.mark.parametrize("case", cases("noteref_style", ["lantern", "lantern-kepub"]))
def test_note_references_are_set_smaller_or_raised(lab_book, case):
    plain = sorted({f"{href} {n['ref']}" for href, n in notes_of(lab_book, case)
                    for p in n["problems"] if p.startswith("set like")})
    assert plain == [], f"note references set like body text: {plain}"


# ---- the lab itself: each measurement finds what it is for -----------------------------------

BAD_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en">
<head><title>Bad page</title><style>
body { margin: 0; font: 16px/24px serif; } p, h2, table { margin: 0; } h1 { margin: 0; font-size: 24px; line-height: 32px; }
h2 { font-size: 16px; line-height: 24px; } table { border-collapse: collapse; } th, td { padding: 0; }
</style></head>
<body><article>
<h1 class="headline">A bad page</h1>
<p style="color: #333">Grey on the night theme.<a id="r1" href="#n1" epub:type="noteref">1</a>
<a id="r2" href="#missing" epub:type="noteref">2</a></p>
<table style="width: 800px"><tr><th>Wide</th><td>table</td></tr></table>
<div style="height: 680px"></div>
<h2>Stranded heading</h2>
<p>{}</p>
<aside id="n1" epub:type="footnote"><p>A note with no way back.</p></aside>
</article></body></html>
""".replace("{}", "A paragraph long enough to need more lines than the foot of the page has room for. " * 6)


def test_the_lab_finds_what_each_measurement_is_for(lab_tools, tmp_path):
    """A hand-made EPUB with one of each fault: the lab must report every one.

    A phone page shows text from 20 to 824 px (epub.js pads the 844 px page by 20 px above and
    below): headline, grey text and table to 100 px, a 680 px block to 780 px, the heading to
    804 px, and the paragraph's first two lines (48 px) cannot follow it there.
    """
    import zipfile

    epub = tmp_path / "bad.epub"
    with zipfile.ZipFile(epub, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                   '<rootfiles><rootfile full-path="OPS/package.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        z.writestr("OPS/package.opf",
                   '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
                   '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">bad</dc:identifier>'
                   '<dc:title>Bad</dc:title><dc:language>en</dc:language></metadata>'
                   '<manifest><item id="a" href="a.xhtml" media-type="application/xhtml+xml"/>'
                   '<item id="b" href="b.xhtml" media-type="application/xhtml+xml"/></manifest>'
                   '<spine><itemref idref="a"/><itemref idref="b"/></spine></package>')
        z.writestr("OPS/a.xhtml", BAD_PAGE)
        z.writestr("OPS/b.xhtml", BAD_PAGE.replace("A bad page", "Another bad page"))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps([{"book": str(epub), "sizes": ["phone"], "themes": ["default", "night"], "fonts": [100]}]))
    result = subprocess.run(["bash", str(RUN_LAB), "--spec", str(spec), "--out", str(tmp_path / "r.json")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    run = json.loads((tmp_path / "r.json").read_text())["books"][0]["runs"][0]
    assert run["visited"] == run["spine"] == ["a.xhtml", "b.xhtml"]
    page = run["sections"]["a.xhtml"]
    assert page["headline"] == {"text": "A bad page", "onFirstPage": True}
    assert page["contrast"]["default"]["failures"] == []
    night = page["contrast"]["night"]
    assert night["lowest"]["fg"] == "#333333" and night["lowest"]["bg"] == "#121212" and night["lowest"]["ratio"] < 1.6
    assert [o["what"].rsplit(" > ", 1)[-1] for o in page["overflow"]] == ["table"]
    assert [(s["kind"], s["text"]) for s in page["stranded"]] == [("h2", "Stranded heading")]
    problems = {n["text"]: n["problems"] for n in page["noterefs"]}
    assert problems["1"] == ["set like body text (not raised, not smaller)", "the note does not link back to r1"]
    assert 'no element with id "missing"' in problems["2"]
    assert page["unseen"] == 0 and page["blankPages"] == [] and page["pages"] >= 2
