"""Footnotes in print: at the foot of the page where notes are as far apart as a magazine's,
a list at the article's end where they are so close together that WeasyPrint 70's footnote
layout would take minutes (issue 20, #4: 60 notes in three pages took 30 s, 400 did not end
in 300 s).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from masthead.render import printdoc

NOTES_ISSUE = '''
import pathlib


def notes_issue(folder, notes, words_between):
    """One article: ``notes`` notes, each called after ``words_between`` words."""
    (folder / "articles").mkdir(parents=True)
    (folder / "issue.yaml").write_text("publication: Test Mag\\ndate: 2025-11-28\\nlanguage: en\\n"
                                       "articles: [articles/a.md]\\n")
    calls = " ".join(" ".join(["word"] * words_between) + f"[^n{i}]" for i in range(notes))
    defs = "\\n\\n".join(f"[^n{i}]: Note number {i}, with a little text." for i in range(notes))
    (folder / "articles" / "a.md").write_text(f"---\\ntitle: Notes\\n---\\n\\n{calls}\\n\\n{defs}\\n")
'''


def _body(notes: int, words_between: int, note_words: int = 6) -> str:
    """An article's body as the content stage writes it: note calls, then the notes' list."""
    calls = "".join(f'<p>{" ".join(["word"] * words_between)}<a href="#note-{i}" id="noteref-{i}" class="noteref" '
                    f'epub:type="noteref" role="doc-noteref">{i}</a></p>' for i in range(1, notes + 1))
    asides = "".join(f'<aside id="note-{i}" class="footnote" epub:type="footnote" role="doc-footnote"><p>'
                     f'<a href="#noteref-{i}" role="doc-backlink" class="backlink">{i}</a> {" ".join(["note"] * note_words)}'
                     f'</p></aside>' for i in range(1, notes + 1))
    return calls + f'<div class="footnotes">{asides}</div>'


def test_notes_as_far_apart_as_a_magazines_stay_footnotes():
    for notes, words in ((3, 10), (8, 1), (40, 150), (200, 150)):  # a few, close; many, a note every 150 words
        printed = printdoc.body_for_print(_body(notes, words), "a")
        assert printed.count('class="print-footnote"') == notes, (notes, words)
        assert 'class="footnotes"' not in printed


def test_notes_called_close_together_stay_a_list_at_the_articles_end():
    for notes, words, note_words in ((9, 1, 6), (60, 25, 6), (400, 4, 6), (20, 100, 120), (1, 10, 8000)):  # long notes weigh more
        printed = printdoc.body_for_print(_body(notes, words, note_words), "a")
        assert 'class="print-footnote"' not in printed and printed.count('epub:type="footnote"') == notes
        assert 'class="footnotes"' in printed


def test_crowded_notes_build_in_time_linear_in_their_number(tmp_path):
    """The report's case (notes every few words: 400 in three pages of text) at 50 and 200
    notes, laid out in a fresh process: 4 times the notes take less than 12 times as long
    (before: 60 notes took 30 s, 400 did not end in 300 s; now 400 take ~8 s)."""
    script = NOTES_ISSUE + textwrap.dedent('''
        import sys, time
        from masthead.pipeline import BuildContext, build

        root = pathlib.Path(sys.argv[1])
        notes_issue(root / "warm", 2, 10)
        build(root / "warm" / "issue.yaml", root / "out-warm", ("pdf",), BuildContext(jobs=1))  # imports, fonts: not timed
        times = []
        for notes in (50, 200):
            notes_issue(root / f"n{notes}", notes, 3)
            started = time.perf_counter()
            build(root / f"n{notes}" / "issue.yaml", root / f"out{notes}", ("pdf",), BuildContext(jobs=1))
            times.append(time.perf_counter() - started)
        print(*times)
    ''')
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    small, large = map(float, result.stdout.split())
    assert large < 12 * small, (small, large)
    from helpers import need

    need("pdftotext")
    text = subprocess.run(["pdftotext", str(tmp_path / "out200" / "n200.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Note number 0," in text and "Note number 199," in text  # every note printed, in the list


def test_a_built_issue_with_a_few_notes_prints_them_as_footnotes(tmp_path):
    from helpers import need
    from masthead.pipeline import BuildContext, build

    namespace: dict = {}
    exec(NOTES_ISSUE, namespace)
    namespace["notes_issue"](tmp_path / "issue", 3, 200)
    build(tmp_path / "issue" / "issue.yaml", tmp_path / "out", ("pdf",), BuildContext(jobs=1))
    need("pdftotext")
    text = subprocess.run(["pdftotext", str(tmp_path / "out" / "issue.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "1. Note number 0," in text and "3. Note number 2," in text  # print.css's ::footnote-marker
