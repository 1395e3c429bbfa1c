"""Outputs the disk refuses, broken message catalogues and cover texts too long to draw.

Each is the user's input or command line, not a bug: a one-line message naming the path, exit
1 or 2, no traceback, no "internal error", and no output written (a cover text too long is cut
to fit instead, with "…").
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from helpers import SAMPLE, Epub, build_folder, copy_sample, masthead


def run(*args: str, tmp_path: Path):
    """The real command, with a cache folder of the test's own."""
    return masthead(*args, env={**os.environ, "MASTHEAD_CACHE_DIR": str(tmp_path / "cache")})


def assert_clean(result, *named: str, status: tuple[int, ...] = (1, 2)) -> None:
    assert result.returncode in status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    for name in named:
        assert name in result.stderr, result.stderr


def test_a_folder_where_the_epub_goes_is_named_and_nothing_is_written(issue_dir, tmp_path):
    out = tmp_path / "out"
    (out / "issue.epub").mkdir(parents=True)
    result = run("build", str(issue_dir), "-o", str(out), "-f", "epub,kepub", tmp_path=tmp_path)
    assert_clean(result, "issue.epub", "is a folder, not a file it can replace", status=(1,))
    assert sorted(p.name for p in out.iterdir()) == ["issue.epub"]  # no .part file, no kepub either
    assert not any((out / "issue.epub").iterdir())


def test_a_rename_that_fails_puts_the_outputs_already_renamed_back(tmp_path, monkeypatch):
    """The EPUB renamed into place, then the PDF's rename refused: the old EPUB comes back."""
    from masthead.diagnostics import MastheadError
    from masthead.runtime import writes as build

    epub, kepub, pdf = tmp_path / "issue.epub", tmp_path / "issue.kepub.epub", tmp_path / "issue.pdf"
    epub.write_bytes(b"old epub")
    pdf.write_bytes(b"old pdf")
    real = os.replace

    def refuse_the_pdf(source, target):
        if Path(target) == pdf:
            raise PermissionError(13, "Permission denied")
        return real(source, target)

    monkeypatch.setattr(build.os, "replace", refuse_the_pdf)
    with pytest.raises(MastheadError, match=r"issue\.pdf: cannot replace it"):
        build.write_all({epub: b"new epub", kepub: b"new kepub", pdf: b"new pdf"})
    assert epub.read_bytes() == b"old epub" and pdf.read_bytes() == b"old pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["issue.epub", "issue.pdf"]  # no temporary, no new KEPUB
    monkeypatch.setattr(build.os, "replace", real)
    build.write_all({epub: b"new epub", pdf: b"new pdf"})
    assert epub.read_bytes() == b"new epub" and pdf.read_bytes() == b"new pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["issue.epub", "issue.pdf"]


def test_an_output_folder_under_a_file_is_a_usage_error(issue_dir, tmp_path):
    blocker = tmp_path / "ofile"
    blocker.write_text("hi\n")
    result = run("build", str(issue_dir), "-o", str(blocker / "sub"), "-f", "epub", tmp_path=tmp_path)
    assert_clean(result, str(blocker), "is a file", status=(2,))
    assert result.stderr.startswith("masthead: ") and result.stderr.count("\n") == 1, result.stderr
    assert blocker.read_text() == "hi\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["issue", "ofile"]


def test_a_flatplan_under_a_file_is_a_one_line_error(issue_dir, tmp_path):
    blocker = tmp_path / "ofile"
    blocker.write_text("hi\n")
    result = run("flatplan", str(issue_dir), "-o", str(blocker / "x.png"), tmp_path=tmp_path)
    assert_clean(result, str(blocker), "is a file")
    assert result.stderr.startswith("masthead: ") and result.stderr.count("\n") == 1, result.stderr
    assert blocker.read_text() == "hi\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["issue", "ofile"]


CATALOGUE = (
    b'msgid ""\n'
    b'msgstr ""\n'
    b'"Language: en\\n"\n'
    b'"MIME-Version: 1.0\\n"\n'
    b'"Content-Type: text/plain; charset=UTF-8\\n"\n'  # line 5
    b'"Content-Transfer-Encoding: 8bit\\n"\n'
    b'"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'  # line 7
    b"\n"
    b'msgid "Contents"\n'
    b'msgstr "Contents"\n'  # line 10
)
BROKEN = {
    "not-utf-8": (CATALOGUE.replace(b'msgstr "Contents"', b'msgstr "Cont\xff\xfeents"'), 10, "is not utf-8 text"),
    "unknown-charset": (CATALOGUE.replace(b"charset=UTF-8", b"charset=klingon"), 5, "unknown charset 'klingon'"),
    "plural-code": (CATALOGUE.replace(b"plural=(n != 1)", b"plural=__import__(1)"), 7, "Plural-Forms: invalid token"),
    "plural-garbled": (CATALOGUE.replace(b"nplurals=2; plural=(n != 1);", b"nplurals=x; plural=(n>1;"), 7,
                       "Plural-Forms: nplurals is not a number"),
    # Babel would print "WARNING: Problem on line 11" on stdout (into `info --json`) and go on.
    "not-po-syntax": (CATALOGUE + b"this line is no PO syntax\n", 11, "invalid message catalogue"),
    # Babel read it without a word and dropped its last character ("Content"): msgfmt refuses it.
    "unclosed-string": (CATALOGUE.replace(b'msgstr "Contents"\n', b'msgstr "Contents\n'), 10, "end of line within a string"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_message_catalogue_is_an_error_at_its_file(case, issue_dir, tmp_path):
    source, line, reason = BROKEN[case]
    po = issue_dir / "templates" / "locale" / "en" / "LC_MESSAGES" / "masthead.po"  # issue.yaml: language: en
    po.parent.mkdir(parents=True)
    po.write_bytes(source)
    out = tmp_path / "out"
    for _ in range(2):  # the second time as the first: the refused catalogue was not cached
        result = run("build", str(issue_dir), "-o", str(out), "-f", "epub", tmp_path=tmp_path)
        assert_clean(result, status=(1,))
        assert re.fullmatch(rf".*masthead\.po:{line}:\d+: invalid message catalogue: .*\n", result.stderr), result.stderr
        assert reason in result.stderr, result.stderr
        assert "WARNING" not in result.stdout, result.stdout
        assert not out.exists()
    catalogues = tmp_path / "cache" / "catalogues"
    assert not catalogues.exists() or not any(p.is_file() for p in catalogues.rglob("*"))


@pytest.fixture(scope="module")
def normal_cover_size(tmp_path_factory) -> tuple[int, int]:
    """The pixel size of the cover drawn for the sample issue, whose manifest names none."""
    epub = build_folder(SAMPLE, tmp_path_factory.mktemp("normal-cover"), "epub")["epub"]
    return cover_size(epub)


def cover_size(path: Path) -> tuple[int, int]:
    book = Epub(path)
    (href,) = [i["href"] for i in book.manifest().values() if "cover-image" in i.get("properties", "")]
    return Image.open(io.BytesIO(book.read(href))).size


def _long_title(root: Path, word: str) -> None:
    text = (root / "issue.yaml").read_text(encoding="utf-8")
    (root / "issue.yaml").write_text(re.sub(r"(?m)^title: .*$|^(?=number: )", f"title: {word}\n", text, count=1),
                                     encoding="utf-8")


def _long_publication(root: Path, word: str) -> None:
    text = (root / "issue.yaml").read_text(encoding="utf-8")
    (root / "issue.yaml").write_text(re.sub(r"(?m)^publication: .*$", f"publication: {word}", text), encoding="utf-8")


def _long_headline(root: Path, word: str) -> None:  # the first articles' headlines are the cover lines
    text = (root / "articles" / "one.md").read_text(encoding="utf-8")
    (root / "articles" / "one.md").write_text(text.replace("title: First story", f"title: {word}"), encoding="utf-8")


LONG = {  # (what is long, its text, in the sample issue: its images set Pillow's stricter pixel limit)
    # One-line fields take 500 characters at most (manifest.py): the longest a cover may be given
    "title-500": (_long_title, "W" * 500, False), "title-500-sample": (_long_title, "W" * 500, True),
    "publication-500": (_long_publication, "W" * 500, False),
    "headline-500": (_long_headline, "W" * 500, False),
    "accents-500": (_long_title, "Zalgo a" + "\u0301" * 480 + " text", False),  # a tower, not a line
}


@pytest.mark.parametrize("case", LONG, ids=list(LONG))
def test_a_cover_text_too_long_for_a_line_is_cut_to_fit(case, issue_dir, tmp_path, normal_cover_size):
    change, text, sample = LONG[case]
    if sample:
        issue_dir = Path(copy_sample(tmp_path / SAMPLE.name))
    change(issue_dir, text)
    result = run("build", str(issue_dir), "-o", str(tmp_path / "out"), "-f", "epub", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "DecompressionBomb" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert cover_size(tmp_path / "out" / f"{issue_dir.name}.epub") == normal_cover_size


def test_a_translation_with_a_placeholder_the_template_lacks_is_named_at_the_catalogue(issue_dir, tmp_path):
    """The template is right and the translation names a value it does not give: the message
    points at the translation's line, and says which template line asked for it."""
    po = issue_dir / "templates" / "locale" / "en" / "LC_MESSAGES" / "masthead.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(CATALOGUE.replace(b'msgstr "Contents"', b'msgstr "Contents of %(issue_name)s"'))
    out = tmp_path / "out"
    result = run("build", str(issue_dir), "-o", str(out), "-f", "epub", tmp_path=tmp_path)
    assert_clean(result, status=(1,))
    assert re.fullmatch(r".*masthead\.po:10:21: the translation uses %\(issue_name\)s, which the template .*"
                        r"contents\.xhtml\.j2:\d+:\d+\)\n", result.stderr), result.stderr
    assert not out.exists()
