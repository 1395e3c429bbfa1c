"""What each feature of the theme's print CSS costs WeasyPrint per page (issue 26).

masthead's print document for an issue (its stages run in-process, as bench/run.py's
``print_html`` writes it) is laid out by WeasyPrint in a fresh process, once as the theme has
it and once with each feature turned off by a stylesheet added last, and once as a plain
one-column rendering of the same text with none of the theme's CSS (the floor). Each variant
reports its pages, WeasyPrint's layout time (``HTML.render``) and its writing time
(``Document.write_pdf``), both without Python's and WeasyPrint's start-up, in CPU seconds
(``time.process_time``: a busy machine does not inflate them as it does the clock).

    .venv/bin/python bench/layout_costs.py ISSUE_FOLDER [--only NAME ...]

A feature's cost is the theme's ms per page minus the variant's: what turning it off saves.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# Each variant: a stylesheet added after the theme's (None: the theme as it is; "floor": no CSS of the theme's).
VARIANTS: dict[str, str | None] = {
    "theme": None,
    "one column": ".print-article .article-body { column-count: 1 !important; }",
    "columns not balanced": ".print-article .article-body { column-fill: auto !important; }",
    "no footnotes (notes inline)": ".print-footnote { float: none !important; display: inline !important; }",
    "no hyphenation": "* { hyphens: manual !important; }",
    "not justified": ".article-body, .article-body * { text-align: start !important; }",
    "no spanning heads": "* { column-span: none !important; }",
    "no page references": ".contents-link::after, .more-from a::after { content: none !important; }",
    "no page references in More from": ".more-from a::after { content: none !important; }",
    "system fonts": "* { font-family: serif !important; }",
    "floor": "floor",
}

FLOOR_CSS = "@page { size: A4; margin: 20mm; } body { font: 10pt/1.4 serif; }"

_SCRIPT = r"""
import json, sys, time
from lxml import etree
import weasyprint
path, extra = sys.argv[1], sys.argv[2]
root = etree.parse(path).getroot()
XHTML = "{http://www.w3.org/1999/xhtml}"
head = root.find(XHTML + "head")
if extra == "floor":
    for element in list(head):
        if element.tag in (XHTML + "style", XHTML + "link"):
            head.remove(element)
    extra = sys.argv[3]
if extra:
    style = etree.SubElement(head, XHTML + "style")
    style.text = extra
html = weasyprint.HTML(string=etree.tostring(root), base_url=path)
options = json.loads(sys.argv[4])
t0 = time.process_time()
document = html.render(**{k: v for k, v in options.items() if k == "pdf_tags"})
t1 = time.process_time()
document.write_pdf(**{k: v for k, v in options.items() if k != "pdf_tags"})
t2 = time.process_time()
print(json.dumps({"pages": len(document.pages), "layout": t1 - t0, "write": t2 - t1}))
"""


def measure(html: Path, css: str | None, options: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(html), css or "", FLOOR_CSS, json.dumps(options)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def costs(issue: Path, only: list[str] | None = None) -> list[tuple[str, dict]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import print_html

    with tempfile.TemporaryDirectory() as temp:
        html, options = print_html(issue, Path(temp) / "cache", Path(temp) / "print")
        return [(name, measure(html, css, options)) for name, css in VARIANTS.items() if not only or name in only]


def table(issue: Path, rows: list[tuple[str, dict]]) -> str:
    base = dict(rows).get("theme")
    lines = [f"{issue.name}: what WeasyPrint spends per page, and what each feature of the theme costs",
             f"{'variant':32} {'pages':>5} {'layout s':>9} {'write s':>8} {'ms/page':>8} {'saves ms/page':>14}"]
    for name, r in rows:
        per_page = 1000 * (r["layout"] + r["write"]) / r["pages"]
        saves = ""
        if base and name != "theme":
            saves = f"{1000 * (base['layout'] + base['write']) / base['pages'] - per_page:+.1f}"
        lines.append(f"{name:32} {r['pages']:5d} {r['layout']:9.2f} {r['write']:8.2f} {per_page:8.1f} {saves:>14}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("issue", type=Path)
    parser.add_argument("--only", action="append")
    args = parser.parse_args()
    print(table(args.issue, costs(args.issue.resolve(), args.only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
