"""An issue's own templates are a stranger's code: they see plain values, call only what
masthead gives them, cost a bounded amount, and what they write passes the articles'
allow-list (src/masthead/sandbox.py).

The red team's route out (``meta.root.joinpath('/etc/passwd').read_text()`` read any file and
``.write_text()`` wrote any, even under ``masthead check``) and every other route we could
think of are tried through the real command, each in the issue's ``templates/cover.xhtml.j2``:
each must stop at the template's line, with nothing read or written outside the issue.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SecurityError
from test_bad_input import assert_failed_cleanly, assert_reported

from helpers import epubcheck, masthead
from masthead.diagnostics import Position
from masthead.model.issue import Article, Issue, IssueMeta, LeadImage, Section
from masthead.render import sandbox

SECRET = "s3cr3t-" + "c4n4ry"

# (id, what the template says: {S} is the secret file, {W} a file to create outside the issue)
ROUTES = [
    ("path-method-on-meta-root", "{{ meta.root.joinpath('{S}').read_text() }}"),
    ("path-write-on-meta-root", "{{ meta.root.joinpath('{W}').write_text('x') }}"),
    ("manifest-path", "{{ meta.manifest_path.parent.joinpath('{S}').read_text() }}"),
    ("article-source", "{{ issue.articles[0].source.with_name('{S}').read_text() }}"),
    ("article-source-via-loop", "{% for a in issue.articles %}{{ a.source.open().read() }}{% endfor %}"),
    ("lead-image-src", "{{ issue.articles[0].image.src.read_bytes() }}"),
    ("asset-read", "{{ issue.articles[0].assets[0].read() }}"),
    ("position-path", "{{ issue.articles[0].image.position.path.read_text() }}"),
    ("class-mro-subclasses", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
    ("string-format-attribute", "{{ '{0.__class__.__init__.__globals__}'.format(meta) }}"),
    ("string-format-field", "{{ '{0.root}'.format(meta) }}"),
    ("attr-filter", "{{ (meta|attr('root')).read_text() }}"),
    ("attr-filter-dunder", "{{ meta|attr('__class__') }}"),
    ("map-attribute", "{{ issue.articles|map(attribute='source')|map(attribute='parent')|first }}"),
    ("helper-globals", "{{ format_date.__globals__['os'].system('touch {W}') }}"),
    ("helper-closure", "{{ href.__closure__ }}"),
    ("gettext-globals", "{{ _.__globals__ }}"),
    ("cycler-init-globals", "{{ cycler.__init__.__globals__.os.popen('touch {W}') }}"),
    ("namespace-globals", "{{ namespace.__init__.__globals__ }}"),
    ("lipsum-globals", "{{ lipsum.__globals__['os'].popen('touch {W}') }}"),
    ("range-self", "{{ range.__self__.loader }}"),
    ("self-context", "{{ self._TemplateReference__context }}"),
    ("self-environment", "{{ self.environment }}"),
    ("loop-iterator", "{% for a in issue.articles %}{{ loop._iterator }}{% endfor %}"),
    ("date-classmethod", "{{ meta.date.today() }}"),
    ("record-class", "{{ meta.epub.__class__ }}"),
    ("macro-globals", "{% macro m() %}{% endmacro %}{{ m._func.__globals__ }}"),
    ("include-absolute", "{% include '{S}' %}"),
    ("include-climbing", "{% include '../../secret.txt' %}"),
    ("dict-update", "{% set d = dict(a=1) %}{{ d.update(b=2) }}"),
    ("str-mod-dunder", "{{ '%(x)s' % meta.__dict__ }}"),
    ("random-filter", "{{ [1, 2]|random }}"),
]


def _issue(issue_dir: Path, template: str) -> Path:
    (issue_dir / "templates").mkdir(exist_ok=True)
    (issue_dir / "templates" / "cover.xhtml.j2").write_text(
        '{% extends "base.xhtml.j2" %}\n{% block body %}\n<p>' + template + "</p>\n{% endblock %}\n", "utf-8")
    return issue_dir


@pytest.mark.parametrize("case", ROUTES, ids=[c[0] for c in ROUTES])
def test_no_route_out_of_a_template_reaches_a_file(case, issue_dir: Path, tmp_path: Path):
    _, template = case
    secret, written = tmp_path / "secret.txt", tmp_path / "written.txt"
    secret.write_text(SECRET, "utf-8")
    issue = _issue(issue_dir, template.replace("{S}", str(secret)).replace("{W}", str(written)))
    result = masthead("check", str(issue))
    found = assert_failed_cleanly(result, tmp_path / "no-output")
    assert_reported(found, result.stderr, issue / "templates" / "cover.xhtml.j2", 3, None, r"template")
    assert not written.exists(), "a template wrote a file"
    assert SECRET not in result.stdout + result.stderr


def test_the_red_teams_reproduction_under_build_writes_and_leaks_nothing(issue_dir: Path, tmp_path: Path):
    written = tmp_path / "PWNED"
    issue = _issue(issue_dir, "{{ meta.root.joinpath('/etc/passwd').read_text() }}"
                              "{{ meta.root.joinpath('" + str(written) + "').write_text('x') }}")
    out = tmp_path / "out"
    result = masthead("build", str(issue), "-o", str(out))
    found = assert_failed_cleanly(result, out)
    assert_reported(found, result.stderr, issue / "templates" / "cover.xhtml.j2", 3, None, r"no attribute 'root'")
    assert not written.exists()


# ---------------------------------------------------------------------------- bounded cost

LIMITS = [
    ("nested-silent-loops", "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}", r"steps"),
    ("deep-nested-literal-loops", "{% set l = [1,2,3,4,5,6,7,8,9,10] %}" + "{% for x in l %}" * 8 + "{% endfor %}" * 8,
     r"steps"),
    ("huge-range", "{% for i in range(10**30) %}{% endfor %}", r"steps"),
    ("string-product", "{{ 'x' * 10**10 }}", r"more than a template may make"),
    ("list-product-of-lists", "{% set a = ['x'] * 10000 %}{% set b = [a] * 10000 %}{{ b|length }}",
     r"more than a template may make"),
    ("repeated-doubling", "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
                          "{% endfor %}", r"more than a template may make"),
    ("power", "{{ 10 ** (10 ** 10) }}", r"larger number"),
    ("percent-width", "{{ '%999999999s' % 'x' }}", r"width"),
    ("format-filter-width", "{{ '%999999999s'|format('x') }}", r"width"),
    ("str-format-width", "{{ '{:>999999999}'.format('x') }}", r"width"),
    ("center-filter", "{{ 'x'|center(999999999) }}", r"width"),
    ("ljust-method", "{{ 'x'.ljust(999999999) }}", r"width"),
    ("join-of-a-generator", "{{ range(5000)|map('string')|map('center', 9000)|join }}", r"more than a template"),
    ("replace-blowup", "{{ ('a' * 100000).replace('a', 'a' * 1000) }}", r"more than a template may make"),
    ("endless-recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", r"recursion|steps"),
    ("big-output", "{% for i in range(200000) %}{{ meta.publication * 2000 }}{% endfor %}", r"MB|steps"),
    # What an outside attack on the first version found (tests/test_template_sandbox.py's history)
    ("deeply-nested-tuple", "{% set ns = namespace(x=1) %}{% for i in range(300000) %}{% set ns.x = (ns.x,) %}"
                            "{% endfor %}{{ {ns.x: 1}|length }}", r"nested more than"),
    ("recursive-loop-levels", "{% set r = range(100000) %}{% for x in [r] * 1000 recursive %}{% if x is not number %}"
                              "{{ loop(x) }}{% endif %}{% endfor %}", r"steps"),
    ("format-list-of-a-string", "{{ format_list('x' * 1000000) }}", r"format_list"),
    ("format-date-pattern", "{{ format_date(meta.date, 'yM' * 16000) }}", r"pattern"),
    ("strftime-width", "{{ meta.date.strftime('%_9999Y' * 4000) }}", r"pattern"),
    ("urlize-a-huge-text", "{{ ('a ' * 16000000)|urlize|length }}", r"urlize"),
    ("gettext-width", "{{ _('%(a)1500000000s', a=1)|length }}", r"width"),
    ("plural-count", "{{ ngettext('%(num)s a', '%(num)s b', 10 ** 30) }}", r"count"),
    ("percent-nested-key", "{{ ('%(a(b))1500000000s' % {'a(b)': 1})|length }}", r"width"),
    ("tilde-doubling", "{% set ns = namespace(s='x' * 3000000) %}{% for i in range(5) %}{% set ns.s = ns.s ~ ns.s %}"
                       "{% endfor %}{{ ns.s|length }}", r"more than a template may make"),
    ("block-set-doubling", "{% set ns = namespace(s='x' * 3000000) %}{% for i in range(5) %}{% set ns.s %}{{ ns.s }}"
                           "{{ ns.s }}{% endset %}{% endfor %}", r"more than a template may make"),
    ("output-of-wide-characters", "{% for i in range(950000) %}<b>" + "\U0001F600" * 260 + "</b>{% endfor %}",
     r"MB|steps"),
    ("writing-a-cycler", "{{ cycler(1) }}", r"cannot write"),
    ("writing-a-function", "{{ format_date }}", r"cannot write"),
    ("writing-a-generator", "{{ issue.articles|map(attribute='title') }}", r"cannot write"),
    ("deeply-nested-source", "{{ " + "(" * 300 + "1" + ")" * 300 + " }}", r"nested too deeply|recursion"),
]


@pytest.mark.parametrize("case", LIMITS, ids=[c[0] for c in LIMITS])
def test_a_template_that_costs_too_much_stops_at_its_line(case, issue_dir: Path, tmp_path: Path):
    _, template, message = case
    issue = _issue(issue_dir, template)
    result = masthead("check", str(issue))  # the subprocess' own timeout (600 s) fails a hang
    found = assert_failed_cleanly(result, tmp_path / "no-output")
    assert_reported(found, result.stderr, issue / "templates" / "cover.xhtml.j2", (1, 3), None, message)


def test_the_same_template_fails_the_same_way_each_time(issue_dir: Path):
    """Steps are counted, not timed: the message (and the step it stops at) is reproducible."""
    issue = _issue(issue_dir, LIMITS[0][1])
    first, second = masthead("check", str(issue)), masthead("check", str(issue))
    assert first.returncode == second.returncode == 1
    assert first.stderr == second.stderr


# ---------------------------------------------------------------------------- the policy alone


def _env() -> sandbox.Sandbox:
    return sandbox.Sandbox(autoescape=True, undefined=jinja2.StrictUndefined)


def _render(source: str, **values) -> str:
    env = _env()
    return sandbox.render(env, env.from_string(source), [v for v in values.values() if callable(v)], values)


class _FutureField:
    """An object of a type nobody has vetted, with a method that would do harm."""

    def __init__(self):
        self.touched = False

    def run(self):
        self.touched = True
        return "ran"

    @property
    def value(self):
        return "value"


def test_a_value_of_an_unknown_type_is_refused_even_if_passed_by_mistake(tmp_path: Path):
    """Layer 1 refuses to pass it; layer 2 refuses to touch it if it slips in inside a tuple."""
    future, path = _FutureField(), tmp_path / "secret.txt"
    path.write_text(SECRET, "utf-8")
    with pytest.raises(TypeError, match="only plain data"):
        _render("{{ x }}", x=future)
    with pytest.raises(TypeError, match="cannot hold"):
        sandbox.Record({"x": future})
    for source in ("{{ t[0].run() }}", "{{ t[0].value }}", "{{ t[0]['value'] }}", "{{ (t[0]|attr('run'))() }}",
                   "{% for v in t %}{{ v.run() }}{% endfor %}", "{{ t|map(attribute='value')|first }}",
                   "{{ t[1].read_text() }}", "{{ (t|last).parent }}", "{{ t[1]|attr('read_text') }}"):
        with pytest.raises((SecurityError, jinja2.UndefinedError)):
            _render(source, t=(future, path))
    assert not future.touched


def test_plain_values_hold_no_path_position_bytes_or_method(tmp_path: Path):
    root = tmp_path / "issue"
    meta = IssueMeta(root=root, manifest_path=root / "issue.yaml", slug="issue", publication="P",
                     date=dt.date(2025, 1, 1), language="en", direction="ltr", cover=root / "cover.jpg",
                     cover_position=Position(root / "issue.yaml", 3, 1))
    image = LeadImage(root / "images" / "a.jpg", "alt", None, None, Position(root / "a.md", 2, 2), "images/a.jpg")
    article = Article("a", root / "articles" / "a.md", "T", None, ("A",), None, None, "en", "ltr", image, 1, 10,
                      None, (), "<p>x</p>", ())
    issue = sandbox.plain(Issue(meta, (Section("S", (article,)),)), root)

    def walk(value, trail):
        assert sandbox.is_plain(value), f"{trail} is a {type(value).__name__}"
        assert not isinstance(value, (Path, Position, bytes)), trail
        if isinstance(value, sandbox.Record):
            for key, item in value.items():
                walk(item, f"{trail}.{key}")
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                walk(item, f"{trail}[{index}]")

    walk(issue, "issue")
    assert "root" not in issue.meta and "cover_position" not in issue.meta
    assert issue.meta.manifest_path == "issue.yaml"
    assert issue.meta.cover == "cover.jpg"  # a file of the issue is named by its place in it
    assert issue.articles[0].source == "articles/a.md" and issue.articles[0].doc_name == "a.xhtml"
    assert issue.sections[0].articles[0] is issue.articles[0]  # converted once


def test_what_templates_ordinarily_do_still_works():
    values = {"meta": sandbox.Record({"title": "T", "date": dt.date(2025, 1, 2), "items": ("a", "b")}),
              "up": lambda s: s.upper()}
    source = ("{{ meta.title|lower }} {{ meta.date.isoformat() }} {{ meta['items']|join(', ') }} "
              "{% for i in meta['items'] %}{{ loop.index }}{{ loop.cycle('x', 'y') }}{% endfor %} "
              "{{ up('z') }} {{ '%s-%d' % ('a', 3) }} {{ '{}!'.format('b') }} {{ 'c'|center(5) }}|"
              "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}")
    assert _render(source, **values) == "t 2025-01-02 a, b 1x2y Z a-3 b!   c  |3"


# ---------------------------------------------------------------------------- what the theme writes

HOSTILE_BODY = """<p>{{ meta.publication }}</p>
<script>alert(1)</script>
<p onclick="steal()">click</p>
<img src="http://tracker.example/pixel.png" alt=""/>
<iframe src="http://evil.example/"></iframe>
<a href="javascript:alert(1)">run</a>
<div style="background: u\\72l(http://evil.example/bg.png)">styled</div>
<object data="http://evil.example/x.swf"></object>
<form action="http://evil.example/"><input name="q"/><p>form text</p></form>"""


def test_a_themes_scripts_handlers_and_remote_resources_are_removed_with_warnings(issue_dir: Path, tmp_path: Path):
    issue = _issue(issue_dir, "")
    template = issue / "templates" / "cover.xhtml.j2"
    template.write_text('{% extends "base.xhtml.j2" %}\n{% block body %}\n' + HOSTILE_BODY + "\n{% endblock %}\n",
                        "utf-8")
    out = tmp_path / "out"
    result = masthead("build", str(issue), "-o", str(out), "--format", "epub,html")
    assert result.returncode == 0, result.stderr
    expected = {"<script": 4, "onclick": 5, "<img": 6, "<iframe": 7, "javascript:": 8, "background: u": 9,
                "<object": 10}
    for text, line in expected.items():
        column = template.read_text("utf-8").split("\n")[line - 1].find(text) + 1
        assert re.search(rf"cover\.xhtml\.j2:{line}:{column}: warning: removed", result.stderr), (text, result.stderr)
    epub = out / f"{issue.name}.epub"
    with zipfile.ZipFile(epub) as z:
        cover = next(z.read(n) for n in z.namelist() if n.endswith("cover.xhtml")).decode("utf-8")
    web = (out / issue.name / "cover.html").read_text("utf-8") if (out / issue.name / "cover.html").exists() else ""
    for page in (cover, web):
        for bad in ("<script", "onclick", "tracker.example", "<iframe", "javascript:", "evil.example", "<object",
                    "<input"):
            assert bad not in page, (bad, page)
    assert "form text" in cover and "click" in cover and "styled" in cover  # the words stay
    assert [m for m in epubcheck(epub) if m["severity"] in ("ERROR", "FATAL", "WARNING")] == []


def test_a_copy_of_the_built_in_theme_gives_the_same_book(issue_dir: Path, tmp_path: Path):
    """The allow-list passes everything the built-in theme writes: copied into the issue's
    templates/, it builds the same EPUB, with no warning."""
    import shutil

    from masthead.render.theme import builtin_root

    plain = masthead("build", str(issue_dir), "-o", str(tmp_path / "a"), "--format", "epub")
    assert plain.returncode == 0, plain.stderr
    shutil.copytree(builtin_root() / "default", issue_dir / "templates")
    copied = masthead("build", str(issue_dir), "-o", str(tmp_path / "b"), "--format", "epub")
    assert copied.returncode == 0, copied.stderr
    assert "warning" not in copied.stderr
    name = f"{issue_dir.name}.epub"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


# ---------------------------------------------------------------------------- fuzzing the sandbox

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAMES = ["meta", "issue", "article", "box[0]", "box[1]", "(box|first)", "(box|last)", "self", "loop", "cycler", "joiner",
          "namespace", "range", "dict", "_", "gettext", "href", "format_date", "lipsum", "caller", "super", "varargs", "kwargs"]
_ATTRS = ["root", "source", "title", "articles", "read_text", "write_text", "joinpath", "parent", "open", "run",
          "value", "__class__", "__init__", "__globals__", "__mro__", "__subclasses__", "__dict__", "mro",
          "_TemplateReference__context", "environment", "func", "gi_frame", "f_globals", "items", "keys", "get",
          "format", "format_map", "today", "fromtimestamp", "isoformat", "upper", "join", "__self__", "0", "1"]
_FILTERS = ["attr('{a}')", "map(attribute='{a}')", "selectattr('{a}')", "sort(attribute='{a}')", "groupby('{a}')",
            "first", "list", "tojson", "xmlattr", "string", "join", "sum(attribute='{a}')", "dictsort", "items"]


@st.composite
def _expression(draw) -> str:
    out = draw(st.sampled_from(_NAMES))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 3))
        attr = draw(st.sampled_from(_ATTRS))
        if kind == 0:
            out += f".{attr}"
        elif kind == 1:
            out += f"['{attr}']"
        elif kind == 2:
            out += f".{attr}()"
        else:
            out += "|" + draw(st.sampled_from(_FILTERS)).replace("{a}", attr)
    return out


class _Canary:
    touched = False

    def __getattr__(self, name):
        type(self).touched = True
        raise AttributeError(name)

    def read_text(self):
        type(self).touched = True
        return SECRET

    def __str__(self):
        return "canary"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions=st.lists(_expression(), min_size=1, max_size=4))
def test_random_expressions_reach_neither_a_path_nor_an_unknown_object(expressions, tmp_path_factory):
    secret = tmp_path_factory.mktemp("fuzz") / "secret.txt"
    secret.write_text(SECRET, "utf-8")
    values = {"meta": sandbox.plain(IssueMeta(root=secret.parent, manifest_path=secret, slug="s", publication="P",
                                              date=dt.date(2025, 1, 1), language="en", direction="ltr"),
                                    secret.parent),
              "issue": sandbox.Record({"articles": (sandbox.Record({"title": "T", "source": "a.md"}),)}),
              "box": (secret, _Canary()),  # as if a field had slipped in unconverted
              "href": lambda a: "a.xhtml"}
    _Canary.touched = False
    source = "".join("{{ " + e + " }}" for e in expressions)
    try:
        out = _render(source, **values)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError):
        out = ""
    assert SECRET not in out
    assert not _Canary.touched, source
    assert secret.read_text("utf-8") == SECRET


def test_a_template_that_runs_too_long_stops_even_when_each_step_is_cheap_to_count(monkeypatch):
    """The seconds are a backstop for a step that counting cannot price (a test on a long
    value, a thousand times): MAX_SECONDS, made short here, stops it with a message."""
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    with pytest.raises(sandbox.TemplateLimit, match="ran for more than"):
        _render("{% for i in range(400000) %}{% if 'xy' in big %}{% endif %}{% endfor %}", big="x" * 4_000_000)


def test_text_without_a_template_is_not_limited_by_the_backstop():
    assert _render("{% for i in range(3) %}{{ i }}{% endfor %}") == "012"


def test_a_lone_surrogate_is_written_as_a_replacement_character():
    assert _render("{{ s }}|{{ 'x'.center(3, s) }}", s="\ud800") == "\ufffd|\ufffdx\ufffd"


# ---------------------------------------------------------------------------- what an outside attack found

DTD_BASE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html [<!ENTITY s "<script>fetch('http://127.0.0.1:9/e1')</script>">]>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="{{ lang }}" xml:lang="{{ lang }}">
<head><meta charset="utf-8"/><title>{% block title %}{{ issue_title }}{% endblock %}</title></head>
<body>{% block body %}{% endblock %}<p>&s;</p></body></html>
"""
HTML_TRICKS = """<p>start</p>
<style>&lt;/style&gt;&lt;img src=x onerror=fetch('http://127.0.0.1:9/w1')&gt;</style>
<?x a><img src="x" onerror="fetch('http://127.0.0.1:9/w2')"/>?>
<p>A<!--><img src="x" onerror="fetch('http://127.0.0.1:9/w3')"/>--></p>
<p style="background-image:-webkit-image-set('http://127.0.0.1:9/w6')">x</p>
<p Style="background:url(http://127.0.0.1:9/w4)">y</p>
<img src="images/cover.png" alt="" SRCSET="http://127.0.0.1:9/w5 1x"/>
<table BACKGROUND="http://127.0.0.1:9/w7"><tr><td>t</td></tr></table>
<a href="#" PING="http://127.0.0.1:9/p">ping</a>
<a href="java&#9;script:alert(1)">tab</a>
<p style="--image:1">number</p>
<p style="--image:{{ '(' * 100000 }}">deep</p>
<p><a href="nosuch.xhtml">broken</a><a href="#nowhere">no id</a></p><p id="d">one</p><p id="d">two</p>
<p>end</p>"""


def _all_text(out: Path) -> str:
    parts = []
    for path in sorted(out.rglob("*")):
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as z:
                parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xhtml", ".html"))]
        elif path.suffix in (".html", ".xhtml"):
            parts.append(path.read_text("utf-8", "replace"))
    return "\n".join(parts)


def test_an_internal_dtd_cannot_hide_a_script_from_the_allow_list(issue_dir: Path, tmp_path: Path):
    (issue_dir / "templates").mkdir()
    (issue_dir / "templates" / "base.xhtml.j2").write_text(DTD_BASE, "utf-8")
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub,kepub,html")
    assert result.returncode == 0, result.stderr
    assert "internal DTD" in result.stderr
    text = _all_text(out)
    assert "<script" not in text and "fetch(" not in text and "ENTITY" not in text
    assert [m for m in epubcheck(out / f"{issue_dir.name}.epub") if m["severity"] in ("ERROR", "FATAL", "WARNING")] == []


def test_what_xml_and_html_read_differently_is_removed_and_the_book_stays_valid(issue_dir: Path, tmp_path: Path):
    issue = _issue(issue_dir, "")
    (issue / "templates" / "cover.xhtml.j2").write_text(
        '{% extends "base.xhtml.j2" %}\n{% block body %}\n' + HTML_TRICKS + "\n{% endblock %}\n", "utf-8")
    out = tmp_path / "out"
    result = masthead("build", str(issue), "-o", str(out), "--format", "epub,html")
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    text = _all_text(out)
    for bad in ("onerror", "127.0.0.1", "srcset", "background=", "ping=", "script:", "<?x a", "nosuch.xhtml", "#nowhere"):
        assert bad.lower() not in text.lower(), bad
    assert "start" in text and "end" in text and "broken" in text and "number" in text
    assert [m for m in epubcheck(out / f"{issue.name}.epub") if m["severity"] in ("ERROR", "FATAL", "WARNING")] == []


def test_a_theme_cannot_make_two_builds_differ(issue_dir: Path, tmp_path: Path):
    issue = _issue(issue_dir, "{{ range }}{{ self.body }}")
    result = masthead("check", str(issue))
    found = assert_failed_cleanly(result, tmp_path / "no-output")
    assert_reported(found, result.stderr, issue / "templates" / "cover.xhtml.j2", 3, None, r"cannot write")
