"""Write a synthetic magazine issue for masthead's benchmarks: N articles of about W words each.

    python bench/generate.py OUT_DIR --articles 120 --words 12000     # the 1.5-million-word issue

The issue is deterministic: the same arguments (and --seed) always give the same bytes, and
article k is the same whatever N is, so issues of different sizes differ only in how many
articles they hold. Each article is Markdown with front matter (title, kicker, standfirst,
byline, date), ``##`` sections titled "Section 1", "Section 2" … (ids ``section-1`` …),
footnotes, links to other articles' sections, a figure every third article (one shared PNG
drawn with Pillow) and a table every fourth. Articles are grouped in sections of ten.

With ``--endnotes N`` the issue also holds what real books do (issue 23): an HTML article of N
endnotes, called from every chapter (``<a id="ref-K.I" href="endnotes.html#note-K/I">``) and
linking back, its ids holding ``/`` and ``.``, then a long table (a register of 1,000 rows,
its header repeated when it is cut) and a long list (an index of 2,000 places).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
from pathlib import Path

# About 600 ordinary English words; sentences are drawn from them with a seeded generator.
VOCABULARY = """
a about above across act after afternoon again against age ago air all almost alone along
already also although always among an and animal another answer any anyone anything appear
apple are area arm around arrive art as ask at autumn away baby back bad bag ball bank base
be bear beautiful because become bed been before began begin behind being believe below
beside best better between big bird black blood blue board boat body bone book both bottom
box boy bread break bridge bright bring brother brown build building burn bus busy but buy
by call came can captain car care carry case cat catch cause cell centre certain chair
chance change character charge child children choose church circle city class clean clear
clock close cloud coast coat cold colour come common company complete condition consider
contain continue control cook cool corner cost could council count country course cover
cross crowd cry cup current cut dance dark daughter day dead deal dear decide deep degree
describe desk detail develop did die difference different difficult dinner direct discover
distance do doctor does dog done door double down draw dream dress drink drive drop dry
during each early earth east easy eat edge effect egg eight either electric else end enemy
energy engine enough enter equal even evening event ever every exact example except expect
experience explain eye face fact fair fall family famous far farm fast father fear feel feet
few field fight figure fill final find fine finger finish fire first fish fit five floor
flower fly follow food foot for force forest form forward found four free fresh friend from
front fruit full game garden gate gather gave general gentle get girl give glad glass go
gold good got govern grass great green grey ground group grow guess guide habit had hair
half hall hand happen happy harbour hard has hat have he head hear heard heart heat heavy
held help her here high hill him his history hold hole home hope horse hospital hot hour
house how huge human hundred hunt hurry idea if imagine in inch include indeed industry
inside instead interest into iron is island it its job join journey joy judge jump just
keep kept key kind king kitchen knew know lady lake land language large last late laugh
law lay lead learn least leave led left leg length less letter level lie life lift light
like line list listen little live long look lost lot loud love low machine made main make
man many map mark market master matter may me mean measure meet member memory men middle
might mile milk mind minute miss modern moment money month moon more morning most mother
mountain mouth move much music must my name narrow nation natural near necessary neck need
neighbour never new news next nice night nine no noise none noon nor north nose not note
nothing notice now number object ocean of off offer office often oil old on once one only
open or order other our out over own page paint pair paper parent park part party pass past
path pay people perhaps person picture piece place plain plan plant play please point poor
port position possible post pound power practice prepare present press pretty print
probable problem produce product promise proper protect prove provide public pull push put
question quick quiet quite race radio rain raise ran rather reach read ready real reason
receive record red region remember repeat reply report rest result return rich ride right
ring rise river road rock roll room root rope rose round row rule run safe said sail same
sand sat save saw say school science sea season seat second see seem sell send sense
sentence separate serve set settle seven several shall shape share sharp she shine ship
shop shore short should shoulder shout show side sign silent silver simple since sing
single sister sit six size skill skin sky sleep slow small smell smile snow so soft soil
soldier some son song soon sound south space speak special speed spend spring square stand
star start station stay steam step still stone stood stop store story straight strange
stream street strong student study subject such sudden summer sun supply support sure
surface surprise swim system table tail take talk tall teach team tell ten term test than
that the their them then there these they thick thin thing think third this those though
thought thousand three through throw tide time tiny to today together told tone too took
top total touch toward town track trade train travel tree trouble true try turn twenty two
type under unit until up upon us use usual valley value various very view village visit
voice wait walk wall want war warm was wash watch water wave way we wear weather week weight
well went were west what wheel when where whether which while white who whole why wide wife
wild will wind window winter wish with without woman wonder wood word work world would
write wrong yard year yellow yes yet you young
""".split()

NAMES = ("Harriet Vale", "Owen Castellane", "Nell Farrant", "Tomasz Ellery", "Amara Osei",
         "Ruth Lindqvist", "Kwame Mensah", "Isla Brennan", "Dev Raman", "Mei Tanaka",
         "Jonas Berg", "Sofia Marchetti")
KICKERS = ("Briefing", "Features", "Science", "Culture", "Books", "Cities", "Work", "Travel",
           "Letters", "Last word")
SECTION_TITLES = ("Front of book", "Features", "Reports", "Science and technology", "Culture",
                  "Books", "Cities", "Work", "Travel", "Letters", "Back of book", "Archive")
ISSUE_DATE = dt.date(2025, 11, 28)
SECTION_WORDS = 1500  # about one ## heading per this many words
ARTICLES_PER_SECTION = 10


class Writer:
    """Sentences and paragraphs from VOCABULARY, drawn with one seeded random generator."""

    def __init__(self, seed: str):
        self.rng = random.Random(seed)

    def words(self, n: int) -> list[str]:
        return self.rng.choices(VOCABULARY, k=n)

    def phrase(self, low: int, high: int) -> str:
        return " ".join(self.words(self.rng.randint(low, high))).capitalize()

    def sentence(self) -> tuple[str, int]:
        rng = self.rng
        n = rng.choice((4, 6, 8, 10, 12, 14, 16, 18, 22, 28))  # short and long, as people write
        n = max(3, n + rng.randint(-2, 2))
        words = self.words(n)
        if n > 9 and rng.random() < 0.6:  # a comma or two in longer sentences
            words[rng.randint(2, n - 3)] += ","
        if rng.random() < 0.05:
            i = rng.randrange(n)
            words[i] = f"*{words[i]}*"
        if rng.random() < 0.04 and n > 6:  # a quotation: typographic quotes come from masthead
            words[1] = '"' + words[1]
            words[4] += '"'
        end = rng.choices((".", ".", ".", ".", ".", "?", "!", "..."), k=1)[0]
        text = " ".join(words)
        return text[0].upper() + text[1:] + end, n

    def paragraph(self, target: int) -> tuple[str, int]:
        parts, count = [], 0
        while count < target:
            text, n = self.sentence()
            parts.append(text)
            count += n
        return " ".join(parts), count


def article(k: int, total: int, words: int, seed: int) -> str:
    """Article number k (1-based) of an issue of `total` articles, about `words` words long."""
    w = Writer(f"{seed}-article-{k}")
    rng = w.rng
    sections = max(2, round(words / SECTION_WORDS))
    date = ISSUE_DATE - dt.timedelta(days=rng.randint(1, 60))
    byline = rng.choice(NAMES)
    front = [
        "---",
        f"title: {json.dumps(f'{w.phrase(3, 7)} ({k})')}",
        f"kicker: {KICKERS[(k - 1) % len(KICKERS)]}",
        f"standfirst: {json.dumps(w.paragraph(rng.randint(18, 30))[0])}",
        f"byline: {byline}",
        f"date: {date.isoformat()}",
        "---",
        "",
    ]
    out = front
    notes: list[str] = []
    written = 0
    per_section = max(1, words // sections)
    for s in range(1, sections + 1):
        if s > 1:  # the first section runs under the headline
            out += [f"## Section {s}", ""]
        budget = per_section if s < sections else max(1, words - written)
        section_words = 0
        first_paragraph = True
        while section_words < budget:
            text, n = w.paragraph(min(budget - section_words, rng.randint(40, 150)))
            if first_paragraph:
                notes.append(w.paragraph(rng.randint(10, 30))[0])
                text += f"[^{len(notes)}]"
                if total > 1 and sections >= 2:
                    other = (k - 1 + rng.randint(1, total - 1)) % total + 1
                    target = rng.randint(2, sections)
                    text += (f" ([see](article-{other:03d}.md#section-{target}) "
                             f"{' '.join(w.words(rng.randint(2, 5)))})")
                first_paragraph = False
            out += [text, ""]
            section_words += n
        written += section_words
        if s == 1 and k % 3 == 0:
            out += [f'![{w.phrase(6, 12)}.](../images/figure.png "{w.phrase(6, 14)}.")', ""]
        if s == min(2, sections) and k % 4 == 0:
            out += table(w)
    out += [f"[^{i}]: {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(out) + "\n"


def table(w: Writer) -> list[str]:
    rng = w.rng
    rows = ["| Place | Year | Count | Remark |", "|:------|-----:|------:|:-------|"]
    for _ in range(rng.randint(3, 8)):
        rows.append(f"| {w.phrase(1, 2)} | {rng.randint(1850, 2025)} | {rng.randint(1, 99_999):,} "
                    f"| {w.phrase(3, 8)} |")
    return [*rows, ""]


def figure_png(path: Path) -> None:
    """A small bar chart, the one image every figure shows."""
    from PIL import Image, ImageDraw

    rng = random.Random("figure")
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.line((40, 360, 620, 360), fill="black", width=2)
    draw.line((40, 20, 40, 360), fill="black", width=2)
    for i in range(10):
        height = rng.randint(40, 320)
        x = 60 + i * 56
        draw.rectangle((x, 360 - height, x + 40, 358), fill=(40 + 20 * i, 90, 160 - 10 * i))
    image.save(path, format="PNG", optimize=True)


def manifest(total: int, words: int) -> str:
    lines = [
        f"# Synthetic issue written by bench/generate.py: {total} articles of about {words} words.",
        "publication: The Benchmark Gazette",
        f"title: The {total} × {words} Issue",
        f"date: {ISSUE_DATE.isoformat()}",
        "number: 1",
        "language: en-GB",
        "publisher: masthead benchmarks",
        "sections:",
    ]
    for start in range(1, total + 1, ARTICLES_PER_SECTION):
        n = (start - 1) // ARTICLES_PER_SECTION
        title = SECTION_TITLES[n % len(SECTION_TITLES)]
        if n >= len(SECTION_TITLES):
            title += f" {n // len(SECTION_TITLES) + 1}"
        lines += [f"  - title: {title}", "    articles:"]
        for k in range(start, min(start + ARTICLES_PER_SECTION, total + 1)):
            lines.append(f"      - articles/article-{k:03d}.md")
    return "\n".join(lines) + "\n"


def with_calls(text: str, k: int, calls: int) -> str:
    """Article ``k``'s Markdown with ``calls`` endnote calls spread over its paragraphs."""
    blocks = text.split("\n\n")
    body = [i for i, block in enumerate(blocks) if block and block[0].isalpha() and not block.startswith(("---", "title:"))]
    for n in range(1, calls + 1):
        i = body[(n - 1) * len(body) // calls] if body else len(blocks) - 1
        blocks[i] += f' <a id="ref-{k}.{n}" href="endnotes.html#note-{k}/{n}">[{n}]</a>'
    return "\n\n".join(blocks)


def endnotes(articles: int, calls: int, seed: int) -> str:
    """The endnotes article: every chapter's notes, each linking back to its call; then a long
    table and a long list, as a book's back matter has them."""
    w = Writer(f"{seed}-endnotes")
    out = ["<html><head><title>Notes and back matter</title></head><body>", "<h1>Notes and back matter</h1>"]
    for k in range(1, articles + 1):
        out.append(f'<h2 id="notes/{k}">Chapter {k}</h2>')
        out.append("<ol>")
        for n in range(1, calls + 1):
            out.append(f'<li id="note-{k}/{n}"><p>{w.paragraph(w.rng.randint(10, 30))[0]} '
                       f'<a href="article-{k:03d}.md#ref-{k}.{n}" role="doc-backlink">↩</a></p></li>')
        out.append("</ol>")
    out += ['<h2 id="register">A register of sources</h2>', "<table><thead><tr><th>No.</th><th>Source</th>"
            "<th>Year</th><th>Pages</th></tr></thead><tbody>"]
    for n in range(1, 1001):
        out.append(f"<tr><td>{n}</td><td>{w.phrase(2, 6)}</td><td>{w.rng.randint(1700, 2025)}</td>"
                   f"<td>{w.rng.randint(1, 900)}</td></tr>")
    out += ["</tbody></table>", '<h2 id="index.places">An index of places</h2>', "<ul>"]
    out += [f"<li>{w.phrase(1, 3)}, {w.rng.randint(1, 2000)}</li>" for _ in range(2000)]
    out += ["</ul>", "</body></html>"]
    return "\n".join(out) + "\n"


def generate(out: Path, articles: int, words: int, seed: int = 1891, notes: int = 0) -> int:
    """Write the issue into `out` (replaced if it exists); return the number of body words.
    ``notes``: endnotes in all (see the module's docstring), none by default."""
    if out.exists():
        shutil.rmtree(out)
    (out / "articles").mkdir(parents=True)
    (out / "images").mkdir()
    figure_png(out / "images" / "figure.png")
    text = manifest(articles, words)
    calls = notes // articles
    if calls:
        text += "  - title: Notes\n    articles:\n      - articles/endnotes.html\n"
        back = endnotes(articles, calls, seed)
        (out / "articles" / "endnotes.html").write_text(back, encoding="utf-8")
    (out / "issue.yaml").write_text(text, encoding="utf-8")
    count = len(back.split()) if calls else 0
    for k in range(1, articles + 1):
        text = article(k, articles, words, seed)
        if calls:
            text = with_calls(text, k, calls)
        (out / "articles" / f"article-{k:03d}.md").write_text(text, encoding="utf-8")
        count += len(text.split())
    return count


def generate_publication(out: Path, issues: int, articles: int, words: int, seed: int = 1891) -> int:
    """A publication in ``out`` (replaced if it exists): publication.yaml, a theme of its own
    (``house/``: the default theme with its EPUB stylesheet copied in, for a theme change to
    touch) and ``issues`` issue folders ``issue-NNN`` of ``articles`` articles of about
    ``words`` words, monthly, the newest last; each issue's articles differ (its own seed).
    Returns the body words of all issues."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "publication.yaml").write_text(
        "# Synthetic publication written by bench/generate.py\n"
        "publication: The Benchmark Gazette\nlanguage: en-GB\npublisher: masthead benchmarks\n"
        "issn: \"2049-3630\"\nsite_url: https://gazette.example/\ntheme: ./house\n", encoding="utf-8")
    house = out / "house" / "css"
    house.mkdir(parents=True)
    (out / "house" / "theme.yaml").write_text("name: house\nextends: default\n", encoding="utf-8")
    default = Path(__file__).resolve().parent.parent / "templates" / "default"
    shutil.copyfile(default / "css" / "epub.css", house / "epub.css")
    count = 0
    for i in range(1, issues + 1):
        folder = out / f"issue-{i:03d}"
        (folder / "articles").mkdir(parents=True)
        (folder / "images").mkdir()
        figure_png(folder / "images" / "figure.png")
        month = 2010 * 12 + i  # monthly, from February 2010
        date = dt.date(month // 12, month % 12 + 1, 1)
        body = manifest(articles, words).split("sections:", 1)[1]
        (folder / "issue.yaml").write_text(f"title: The {date:%B %Y} Issue\ndate: {date.isoformat()}\nnumber: {i}\n"
                                           f"sections:{body}", encoding="utf-8")
        for k in range(1, articles + 1):
            text = article(k, articles, words, seed + i)
            (folder / "articles" / f"article-{k:03d}.md").write_text(text, encoding="utf-8")
            count += len(text.split())
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the issue folder to write (replaced if it exists)")
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--words", type=int, default=12000, help="words per article (about)")
    parser.add_argument("--seed", type=int, default=1891)
    parser.add_argument("--endnotes", type=int, default=0, help="endnotes in all, called from every article (0: none)")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.words < 50:
        parser.error("need at least 1 article of at least 50 words")
    count = generate(args.out, args.articles, args.words, args.seed, args.endnotes)
    print(f"{args.out}: {args.articles} articles, {count:,} words", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
