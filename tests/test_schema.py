"""The manifest schema, declared once (model/schema.py), and what is made from it: the loader's
checks, the model's records, the README's tables, `masthead new`'s comments, the JSON Schema of
`masthead schema`, and the article cache's key. Adding a key is its declaration and its use."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from helpers import ROOT
from masthead.cli import main
from masthead.diagnostics import IssueError
from masthead.manifest import loader, reference
from masthead.model import issue as model
from masthead.model import schema
from masthead.model.schema import SCHEMA, Affects, Key
from masthead.tools import scaffold

# ---------------------------------------------------------------------------- the model's records


@pytest.mark.parametrize("record,table", [(model.EpubOptions, "epub"), (model.PdfOptions, "pdf"),
                                          (model.IssueMeta, "issue")])
def test_a_records_fields_and_defaults_are_its_tables_keys(record, table):
    stored = [key for key in SCHEMA.keys(table) if key.stored]
    derived = model.DERIVED if record is model.IssueMeta else ()
    assert [f for f in record._fields if f not in derived] == [key.name for key in stored]
    for key in stored:
        if key.required:
            assert key.name not in record._field_defaults, key.name
        elif key.kind == "mapping":
            assert record._field_defaults[key.name] == loader.RECORDS[key.name](), key.name
        elif key.default_doc is None or key.default is not None:  # a computed default is the loader's
            assert record._field_defaults[key.name] == key.default, key.name


def test_the_loader_reads_every_declared_key_by_its_kind_or_check():
    for _, key in SCHEMA.all_keys():
        if key.check:
            assert key.check in loader._CHECKS, key
        else:
            assert key.kind in loader._READERS or key.kind in ("mapping", "sections", "articles", "image", "adverts"), key
        assert key.alias_of is None or key.alias_of in [k.name for k in SCHEMA.keys("article")]


# ---------------------------------------------------------------------------- README and scaffold


def test_the_readmes_manifest_tables_are_what_the_schema_renders():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    regions = reference.readme_regions(readme)
    assert set(regions) == set(reference.README_TABLES)
    for name, table in reference.README_TABLES.items():
        assert regions[name] == reference.markdown_table(table), (
            f"README.md's '{name}' table is not what model/schema.py says: "
            "run python -m masthead.manifest.reference README.md")
    assert reference.update_readme(readme) == readme


def _markers(template: str) -> list[str]:
    return re.findall(r"(?m)^[ \t]*#: ([\w.]+)$", template)


def test_the_scaffold_comments_every_key_from_its_declaration(tmp_path):
    issue_keys = [f"{table}.{name}" if table != "issue" else name
                  for table in ("issue", "epub", "pdf") for name in SCHEMA.names(table)]
    assert sorted(_markers(scaffold.ISSUE_YAML)) == sorted(issue_keys)
    article = [f"article.{key.name}" for key in SCHEMA.keys("article") if not key.alias_of]
    assert sorted(_markers(scaffold.WELCOME_MD)) == sorted(article)
    scaffold.create(tmp_path / "new", today=dt.date(2026, 1, 2))
    text = (tmp_path / "new" / "issue.yaml").read_text(encoding="utf-8")
    assert not _markers(text)
    for name in ("publication", "columns", "certifier_report"):
        table = "pdf" if name == "columns" else "epub" if name == "certifier_report" else "issue"
        indent = "" if table == "issue" else "  "
        assert reference.yaml_comment(table, name, indent) in text
    assert SCHEMA.key("pdf", "columns").doc in text.replace("\n  # ", " ")


# ---------------------------------------------------------------------------- JSON Schema


def _as_json(value):
    """YAML data as a YAML 1.2 editor sees it: dates are strings."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _validator():
    jsonschema.Draft202012Validator.check_schema(reference.json_schema())
    return jsonschema.Draft202012Validator(reference.json_schema())


def test_the_json_schema_takes_every_issue_in_the_repository_and_the_scaffolds(tmp_path):
    scaffold.create(tmp_path / "new", language="ar", publication="Test: a #1")
    manifests = [*sorted((ROOT / "issues").glob("*/issue.yaml")), tmp_path / "new" / "issue.yaml"]
    assert len(manifests) >= 3
    validator = _validator()
    for path in manifests:
        errors = [e.message for e in validator.iter_errors(_as_json(yaml.safe_load(path.read_text("utf-8"))))]
        assert errors == [], path


def _small_issue(tmp_path: Path, text: str) -> Path:
    (tmp_path / "articles").mkdir(exist_ok=True)
    for name in ("a.md", "a.fr.md", "a.pt.md"):  # an article, and translations of it
        (tmp_path / "articles" / name).write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
    (tmp_path / "issue.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "issue.yaml"


GOOD = "publication: P\ndate: 2025-01-01\nlanguage: en\narticles:\n  - articles/a.md\n"
BAD = {
    "unknown-key": GOOD + "sectoins: []\n",
    "unknown-epub-key": GOOD + "epub:\n  embed_font: true\n",
    "number-as-words": GOOD + "number: five\n",
    "boolean-as-text": GOOD + "pdf:\n  crop_marks: maybe\n",
    "columns-out-of-range": GOOD + "pdf:\n  columns: 7\n",
    "image-quality-too-low": GOOD + "epub:\n  image_quality: 3\n",
    "date-past-2099": GOOD.replace("2025-01-01", "2108-01-01"),
    "sections-and-articles": GOOD + "sections:\n  - articles: [articles/a.md]\n",
    "neither-sections-nor-articles": GOOD.split("articles:")[0],
    "entry-without-file": GOOD.replace("  - articles/a.md", "  - kicker: K"),
    "direction-sideways": GOOD.replace("  - articles/a.md", "  - {file: articles/a.md, dir: sideways}"),
    "unknown-pdf-variant": GOOD + "pdf:\n  variant: pdf/z-9\n",
    "page-size-no-size": GOOD + "pdf:\n  page_size: huge\n",
    "month-13": GOOD.replace("2025-01-01", "'2025-13-01'"),
    "time-left-open": GOOD.replace("2025-01-01", "'2025-01-01T'"),
    "hour-99": GOOD.replace("2025-01-01", "'2025-01-01T99:99'"),
    "issn-as-boolean": GOOD + "issn: true\n",
    "bleed-as-number": GOOD + "pdf:\n  bleed: 3\n",
    "variant-as-number": GOOD + "pdf:\n  variant: 5\n",
    "translation-tag-malformed": GOOD.replace("  - articles/a.md", "  - {file: articles/a.md, translations: {f_r: articles/a.md}}"),
    "translations-as-a-list": GOOD.replace("  - articles/a.md", "  - {file: articles/a.md, translations: [articles/a.md]}"),
}


@pytest.mark.parametrize("name", BAD)
def test_the_json_schema_and_the_loader_both_refuse(name, tmp_path):
    text = BAD[name]
    assert list(_validator().iter_errors(_as_json(yaml.safe_load(text)))), f"the JSON Schema takes {name}"
    with pytest.raises(IssueError):
        loader.load(_small_issue(tmp_path, text))


GOOD_TOO = {  # what an editor may write and masthead takes: the JSON Schema must not refuse it
    "plain": GOOD,
    "quoted-numbers": GOOD + "number: \"47\"\npdf:\n  columns: \"2\"\nepub:\n  image_max_size: \"800\"\n",
    "date-and-time": GOOD.replace("2025-01-01", "2025-01-01T10:30:00+01:00"),  # a YAML timestamp: its day is taken
    "no-cover": GOOD + "cover: ''\n",
    "an-editor-left-empty": GOOD + "editors: [A. Editor, ~]\n",
    "translated": GOOD.replace("  - articles/a.md",
                               "  - {file: articles/a.md, translations: {fr: articles/a.fr.md, pt-BR: articles/a.pt.md}}"),
}


@pytest.mark.parametrize("name", GOOD_TOO)
def test_the_json_schema_and_the_loader_both_take_a_small_issue(name, tmp_path):
    text = GOOD_TOO[name]
    assert [e.message for e in _validator().iter_errors(_as_json(yaml.safe_load(text)))] == []
    assert loader.load(_small_issue(tmp_path, text)).meta.publication == "P"


def test_the_json_schema_takes_an_issue_that_inherits_its_publications_name_and_the_loader_wants_it_somewhere(tmp_path):
    text = GOOD.replace("publication: P\n", "")  # beside a publication.yaml that gives it, a good issue.yaml
    (tmp_path / "alone").mkdir()
    assert [e.message for e in _validator().iter_errors(_as_json(yaml.safe_load(text)))] == []
    with pytest.raises(IssueError, match="missing required key 'publication'"):
        loader.load(_small_issue(tmp_path / "alone", text))  # given nowhere
    (tmp_path / "publication.yaml").write_text("publication: P\n", encoding="utf-8")
    assert loader.load(_small_issue(tmp_path / "alone", text)).meta.publication == "P"
    shared = reference.json_schema()["$defs"]["publication"]
    assert {"site_url", "publication", "pdf"} <= set(shared["properties"]) and "required" not in shared


def test_masthead_schema_prints_the_json_schema():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == reference.json_schema()
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(printed["properties"]) == set(SCHEMA.names("issue"))


# ---------------------------------------------------------------------------- adding a key


GUTTER = Key("gutter", "integer", "space between columns, in millimetres", default=5, minimum=0, maximum=30,
             affects=Affects.LAYOUT)


def test_a_key_added_by_its_declaration_is_checked_documented_and_in_the_json_schema(tmp_path, monkeypatch):
    """Adding pdf: gutter: its declaration, and its use (here a record with the field)."""
    added = SCHEMA.with_key("pdf", GUTTER)
    fields = (*model.PdfOptions._fields, "gutter")
    record = collections.namedtuple("PdfOptions", fields, defaults=[added.key("pdf", f).default for f in fields])
    monkeypatch.setattr(schema, "SCHEMA", added)
    monkeypatch.setitem(loader.RECORDS, "pdf", record)

    assert loader.load(_small_issue(tmp_path, GOOD)).meta.pdf.gutter == 5  # the declared default
    assert loader.load(_small_issue(tmp_path, GOOD + "pdf:\n  gutter: 12\n")).meta.pdf.gutter == 12
    with pytest.raises(IssueError) as caught:
        loader.load(_small_issue(tmp_path, GOOD + "pdf:\n  columns: 2\n  gutter: 31\n"))
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{tmp_path / 'issue.yaml'}:8:11: 'gutter' must be a whole number from 0 to 30, not '31'"]
    with pytest.raises(IssueError) as caught:
        loader.load(_small_issue(tmp_path, GOOD + "pdf:\n  guter: 3\n"))
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{tmp_path / 'issue.yaml'}:7:3: unknown key 'guter' in pdf options — did you mean 'gutter'?"]

    gutter = reference.json_schema()["$defs"]["pdf"]["properties"]["gutter"]
    number = gutter["anyOf"][0]  # or its digits quoted, as masthead takes them
    assert (number["type"], number["minimum"], number["maximum"], gutter["default"]) == ("integer", 0, 30, 5)
    validator = jsonschema.Draft202012Validator(reference.json_schema())
    assert not list(validator.iter_errors(_as_json(yaml.safe_load(GOOD + "pdf:\n  gutter: 12\n"))))
    assert list(validator.iter_errors(_as_json(yaml.safe_load(GOOD + "pdf:\n  gutter: 31\n"))))
    assert "| `gutter` | integer, 0 to 30 | `5` | space between columns, in millimetres |" in reference.markdown_table("pdf")
    assert reference.commented("pdf:\n  #: pdf.gutter\n  gutter: 5\n") == (
        "pdf:\n  # gutter (integer, 0 to 30; default: 5): space between columns, in millimetres.\n  gutter: 5\n")
    # and without it, none of this is so
    monkeypatch.setattr(schema, "SCHEMA", SCHEMA)
    assert "gutter" not in reference.json_schema()["$defs"]["pdf"]["properties"]


def test_a_key_declared_to_affect_reading_keys_the_article_cache(monkeypatch):
    from masthead.content import incremental

    meta = SimpleNamespace(language="en", title="T", house_style="oxford")
    assert incremental._manifest_context(meta) == (("language", "en"),)
    style = Key("house_style", "text", "the spelling articles are checked against", affects=Affects.READ)
    monkeypatch.setattr(schema, "SCHEMA", SCHEMA.with_key("issue", style))
    assert incremental._manifest_context(meta) == (("language", "en"), ("house_style", "oxford"))
    assert "house_style" in reference.json_schema()["properties"]
