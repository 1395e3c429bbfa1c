"""Property tests for a stranger's theme files (issue 20): its CSS and its fonts.

A theme inside the issue is input. Whatever its stylesheet holds, what reaches the EPUB loads
nothing from outside the book; whatever its font files hold, the build ends with an EPUB or a
positioned message, never a traceback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import tinycss2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ROOT
from masthead.diagnostics import Report
from masthead.render.stylesheets import confined_css

PIECES = ["url(http://x.example/a.png)", "URL(  'https://x/a' )", "u\\72l(http://x/)", "url(/etc/passwd)",
          "url(../../secret.png)", "url(fonts/NotoSerif-Regular.ttf)", "@import 'http://x/a.css';", "@\\69mport url(x);",
          "image-set('http://x/a.png' 1x)", "-webkit-image-set(url(http://x/) 1x)", "src(http://x/)", "/* url(http://x/) */",
          "url(data:image/png;base64,AAAA)", "url(file:///etc/passwd)", "url(//x.example/a)", "\\", "{", "}", ";", "(",
          ")", "'", '"', "body", "p", "color: red", "background:", "content: '\\'", "\n", " ", "@font-face", "@media print"]
css = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=25).map("".join)
SHIPPED = frozenset({"fonts/NotoSerif-Regular.ttf", "css/common.css"})


def _loads(text: str) -> list[str]:
    """Every URL a reader's CSS engine would load from the text (tinycss2 decodes escapes)."""
    found: list[str] = []

    def walk(tokens) -> None:
        for token in tokens:
            kind = getattr(token, "type", "")
            if kind == "url":
                found.append(token.value)
            elif kind == "function" and token.lower_name in ("url", "src", "image", "image-set", "-webkit-image-set",
                                                             "cross-fade", "-webkit-cross-fade"):  # what CSS loads through
                found.extend(getattr(t, "value", "") for t in token.arguments if getattr(t, "type", "") in ("string", "url"))
            elif kind == "at-rule" and token.lower_at_keyword == "import":
                found.append("@import")
            for nested in ("arguments", "content", "prelude"):
                inner = getattr(token, nested, None)
                if isinstance(inner, list):
                    walk(inner)

    walk(tinycss2.parse_stylesheet(text, skip_comments=True))
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=css)
def test_a_themes_stylesheet_loads_nothing_but_the_themes_files_whatever_it_holds(text):
    out = confined_css(text, Path("templates/css/common.css"), Report(), SHIPPED, "css/common.css")
    for target in _loads(out):
        assert target in SHIPPED or target.startswith(("#", "data:")), (text, out, target)  # data: loads nothing


FONT = ROOT / "templates" / "default" / "fonts" / "NotoSerif-Regular.ttf"


@st.composite
def _damaged_font(draw) -> bytes:
    data = bytearray(FONT.read_bytes()[:draw(st.integers(0, 40_000))])
    for _ in range(draw(st.integers(0, 20))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(font=_damaged_font())
def test_a_damaged_theme_font_gives_an_epub_or_a_positioned_message(font, issue_dir, tmp_path):
    fonts = issue_dir / "templates" / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    (issue_dir / "templates" / "theme.yaml").write_text(
        "name: mine\nfonts:\n  - {family: Masthead Serif, file: fonts/a.ttf}\n", "utf-8")
    (fonts / "a.ttf").write_bytes(font)
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    result = subprocess.run([sys.executable, "-m", "masthead", "build", str(issue_dir), "-o", str(out), "--format", "epub"],
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    if result.returncode == 1:
        assert any(line.split(": ", 1)[0].count(":") >= 2 for line in result.stderr.splitlines()), result.stderr
