"""Reading an article takes time linear in its size, pathological articles included (issue 20,
report #8: 20,000 headings "# h" took 32 s).

Each case builds one article at two sizes, n and 8n, and reads it (reading.read_issue, one
article, no cache) in a process of its own with a timeout; the time must grow about as the
input does: under 24 times for 8 times the input, where a quadratic path gives about 64. The
cases are the report's four and the other quadratic paths found in the article readers and in
cutting big articles into parts (split.py). The small sizes are the smallest that still show
the quadratic on the code before the fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helpers import ROOT

GROWTH = 8  # the big input is this many times the small one
SLACK = 24  # and may take at most this many times as long (a quadratic path: about 64)


def _markdown(body: str) -> tuple[str, str]:
    return "---\ntitle: T\n---\n\n" + body, "md"


def _html(body: str) -> tuple[str, str]:
    return "<title>T</title>" + body, "html"


ARTICLES = {  # name → (article of size n, small n, what is timed)
    # The report's four
    "headings": (lambda n: _markdown("# h\n" * n), 1000, "read"),
    "unclosed-note-brackets": (lambda n: _markdown("[^" * n), 4000, "checks"),
    "undefined-notes-in-one-paragraph": (lambda n: _markdown("x [^zz]\n" * n), 4000, "checks"),
    "links-to-ids": (lambda n: _markdown("".join(f"[l](#a{i})\n" for i in range(n))), 4000, "locate"),
    # Others of the same kind
    "undefined-notes-on-one-line": (lambda n: _markdown(" ".join(f"[^a{i}&#93;" for i in range(n))), 4000, "checks"),
    "links-to-nowhere": (lambda n: _markdown("".join(f"[l](#a&amp;{i})\n" for i in range(n))), 4000, "locate"),
    "ids-like-note-prefixes": (lambda n: _markdown("".join(f'<p id="note{i if i > 1 else ""}-1">l</p>\n\n' for i in range(n))
                                                   + "x[^1]\n\n[^1]: n\n"), 500, "read"),
    "table-headers": (lambda n: _html("<table><tr>" + "".join(f'<th id="h{i}">h</th>' for i in range(n)) + "</tr><tr>"
                                      + "".join(f'<td headers="h{i}">d</td>' for i in range(n)) + "</tr></table>"), 500, "read"),
    "paragraphs-in-a-list": (lambda n: _html("<ul>" + "<p>x</p> " * n + "</ul>"), 4000, "read"),
}
_NEEDLES = {"links-to-ids": "#a{}", "links-to-nowhere": "#a&{}"}  # the links' targets, as the parser gives them


def read_time(name: str, n: int) -> float:
    """Seconds to read the article ``name`` at size ``n`` (run in a child process): the whole
    reading, its Markdown checks only (markdown.render, the parse done before), or the
    search for where its links stand (reading._locate, for each link and each link to an id)."""
    from masthead.content.readers import markdown
    from masthead.pipeline import BuildContext, Pipeline
    from masthead.runtime.cache import Cache

    build, _, what = ARTICLES[name]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "articles").mkdir()
        kind = build(1)[1]
        (root / "issue.yaml").write_text(f"publication: P\ndate: 2025-01-01\nlanguage: en\narticles: [articles/a.{kind}]\n",
                                         encoding="utf-8")
        for size in (1, n):  # once small first: imports and lazy set-up are not timed
            text = build(size)[0]
            (root / "articles" / f"a.{kind}").write_text(text, encoding="utf-8")
            run = Pipeline(root / "issue.yaml", BuildContext(jobs=1, cache=Cache(None)))
            run.load()  # the manifest and theme: not timed
            path = root / "articles" / f"a.{kind}"
            if what == "checks":
                md, parsed = markdown.renderer("en"), {}
                tokens = type(md).parse(md, text, parsed)  # not a stand-in left from the small size
                md.parse = lambda _text, env, tokens=tokens, parsed=parsed: (env.update(parsed), tokens)[1]
            started = time.perf_counter()
            if what == "read":
                run.read()
                took = time.perf_counter() - started
            else:  # fast: the best of three, the machine's other work left out
                took = min(_checks_or_locate(what, name, text, path, root, size) for _ in range(3))
        if what == "checks":
            del md.parse
        return took


def _checks_or_locate(what: str, name: str, text: str, path: Path, root: Path, size: int) -> float:
    from masthead.content import reading
    from masthead.content.readers import markdown
    from masthead.diagnostics import Position, Report

    draft = reading._Draft(Position(path), root, path, "a", {}, None, text)
    needles = [_NEEDLES[name].format(i) for i in range(size)] if what == "locate" else []
    started = time.perf_counter()
    if what == "checks":
        markdown.render(text, "en", path, Report())
    for purpose in ("url", "fragment"):
        for needle in needles:
            reading._locate(draft, needle, purpose)
    return time.perf_counter() - started


def split_time(notes: int) -> float:
    """Seconds to cut an article whose notes refer each to the one before (split.py)."""
    from test_split import article, noteref, sample_issue, words

    from masthead.layout import split

    def note(k: int) -> str:
        inner = f' <a href="#note-{k - 1}" epub:type="noteref">{k - 1}</a>' if k else ""
        return f'<aside id="note-{k}" epub:type="footnote"><p>n{k}{inner}</p></aside>'

    blocks = [f"<p>x{noteref(notes - 1)}</p>"] + [f"<h2>h</h2><p>{words('p', 2000)}</p>" for _ in range(30)]
    issue = sample_issue(article("Big story", blocks, [note(k) for k in range(notes)]))
    started = time.perf_counter()
    split.split(issue)
    return time.perf_counter() - started


def _timed(call: str, timeout: float) -> float:
    # The collector off: its passes over all that is alive are not what is measured
    code = (f"import gc, sys; sys.path.insert(0, {str(ROOT / 'tests')!r}); import test_linear_parsing as t; "
            f"gc.disable(); print(t.{call})")
    env = {**os.environ, "MASTHEAD_CACHE_DIR": "off"}
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{call} did not finish in {timeout} s")
    assert result.returncode == 0, result.stderr
    return float(result.stdout.split()[-1])


def _assert_linear(small: str, big: str) -> None:
    little = _timed(small, 60)
    large = _timed(big, 60)
    assert large < SLACK * max(little, 0.02), f"{GROWTH}x the input took {large / little:.1f}x the time ({little:.2f} s → {large:.2f} s)"


@pytest.mark.parametrize("name", list(ARTICLES))
def test_a_pathological_article_is_read_in_time_linear_in_its_size(name):
    n = ARTICLES[name][1]
    _assert_linear(f"read_time({name!r}, {n})", f"read_time({name!r}, {GROWTH * n})")


def test_notes_that_refer_to_notes_are_placed_in_time_linear_in_their_number():
    _assert_linear("split_time(150)", f"split_time({GROWTH * 150})")


def divide_time(items: int) -> float:
    """Seconds to cut an article that is one list, one table and one <pre> of ``items`` each (split.py)."""
    from test_split import article, sample_issue

    blocks = ['<section id="s"><h2>Notes</h2><ol>' + "".join(f'<li id="n{k}">note {k} <a href="#r{k}">back</a></li>\n'
                                                            for k in range(items)) + "</ol></section>",
              "<table><thead><tr><th>a</th></tr></thead><tbody>" + "".join(f"<tr><td>{k}</td></tr>" for k in range(items))
              + "</tbody></table>",
              "<pre>" + "".join(f"line {k}\n" for k in range(items)) + "</pre>"]
    issue = sample_issue(article("Big story", blocks, []))
    from masthead.layout import split

    started = time.perf_counter()
    split.split(issue, limit=20_000)
    return time.perf_counter() - started


def test_a_list_a_table_and_a_pre_too_big_for_a_file_are_cut_in_time_linear_in_their_size():
    _assert_linear("divide_time(2000)", f"divide_time({GROWTH * 2000})")
