"""A publication: publication.yaml inherited by its issues (positions in either file, info's
sources), and the catalogue build of a publication folder: every issue, then only what changed;
a failing issue reported while the rest are written; the same bytes from 1 or 2 local workers
and from a Dask LocalCluster, whose killed worker's issue runs again.

The catalogue's own files come from masthead.catalogue (tests/test_catalogue.py checks them).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from masthead.diagnostics import IssueError
from masthead.manifest import loader
from masthead.runtime.cache import Cache
from masthead.tools import publication

SHARED = """\
publication: The Harbour Review
language: en-GB
issn: "2049-3630"
publisher: Harbour Press
rights: "© Harbour Press"
site_url: https://harbour.example/
pdf:
  page_size: A5
  columns: 1
epub:
  embed_fonts: false
"""


def _issue(folder: Path, number: int, extra: str = "") -> Path:
    (folder / "articles").mkdir(parents=True)
    (folder / "issue.yaml").write_text(
        f"title: Issue {number}\ndate: 2025-{number:02d}-01\nnumber: {number}\n{extra}"
        "articles:\n  - articles/one.md\n  - articles/two.md\n", encoding="utf-8")
    for name in ("one", "two"):
        (folder / "articles" / f"{name}.md").write_text(
            f"---\ntitle: {name.title()} of issue {number}\nbyline: A. Writer\n---\n\n"
            + f"A paragraph of issue {number}, article {name}, about the harbour at night.\n\n" * 4, encoding="utf-8")
    return folder / "issue.yaml"


def _publication(root: Path, issues: int = 3) -> Path:
    root.mkdir(parents=True)
    (root / "publication.yaml").write_text(SHARED, encoding="utf-8")
    for number in range(1, issues + 1):
        _issue(root / f"issue-{number:02d}", number)
    return root


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- publication.yaml


def test_an_issue_inherits_the_publications_settings_and_overrides_them_option_by_option(tmp_path):
    root = _publication(tmp_path / "pub", issues=1)
    manifest = _issue(root / "special", 9, extra="publisher: Guest Press\npdf:\n  columns: 2\n")
    meta = loader.load(manifest).meta
    assert (meta.publication, meta.issn, meta.language) == ("The Harbour Review", "2049-3630", "en-GB")
    assert meta.publisher == "Guest Press"  # the issue's own
    assert (meta.pdf.page_size, meta.pdf.columns) == ("A5", 2)  # merged: the size shared, the columns its own
    assert meta.epub.embed_fonts is False
    plain = loader.load(root / "issue-01" / "issue.yaml").meta
    assert (plain.publisher, plain.pdf.columns) == ("Harbour Press", 1)


def test_a_mistake_in_publication_yaml_is_reported_where_it_stands(tmp_path):
    root = _publication(tmp_path / "pub", issues=1)
    shared = root / "publication.yaml"
    shared.write_text(SHARED.replace('"2049-3630"', '"2049-3631"').replace("  columns: 1", "  colums: 1"))
    with pytest.raises(IssueError) as caught:
        loader.load(root / "issue-01" / "issue.yaml")
    messages = [str(d) for d in caught.value.diagnostics]
    assert any(m.startswith(f"{shared}:3:7: ") and "not a valid ISSN" in m for m in messages), messages
    assert any(m.startswith(f"{shared}:9:3: unknown key 'colums'") for m in messages), messages


def test_a_publication_yaml_further_up_than_the_issues_parent_is_not_read(tmp_path):
    (tmp_path / "publication.yaml").write_text(SHARED, encoding="utf-8")
    manifest = _issue(tmp_path / "shelf" / "issue-01", 1)
    with pytest.raises(IssueError) as caught:
        loader.load(manifest)
    assert any("missing required key 'publication'" in str(d) for d in caught.value.diagnostics)


def test_a_publication_yaml_that_is_a_link_is_refused_not_followed(tmp_path):
    root = _publication(tmp_path / "pub", issues=1)
    (tmp_path / "elsewhere.yaml").write_text(SHARED, encoding="utf-8")
    (root / "publication.yaml").unlink()
    (root / "publication.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(IssueError) as caught:
        loader.load(root / "issue-01" / "issue.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic).startswith(f"{root / 'publication.yaml'}:1:1: cannot read"), diagnostic


def test_a_theme_publication_yaml_names_is_found_in_the_publication_folder_and_kept_inside_it(tmp_path):
    from masthead.render import theme

    root = _publication(tmp_path / "pub", issues=1)
    (root / "house").mkdir()
    (root / "house" / "theme.yaml").write_text("name: house\nextends: default\n", encoding="utf-8")
    shared = root / "publication.yaml"
    shared.write_text(SHARED + "theme: ./house\n", encoding="utf-8")
    meta = loader.load(root / "issue-01" / "issue.yaml").meta
    assert theme.load(meta).folders[0] == (root / "house").resolve()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "theme.yaml").write_text("name: elsewhere\n", encoding="utf-8")
    shared.write_text(SHARED + "theme: ../elsewhere\n", encoding="utf-8")
    meta = loader.load(root / "issue-01" / "issue.yaml").meta
    with pytest.raises(IssueError) as caught:
        theme.load(meta)
    assert str(caught.value.diagnostics[0]).startswith(f"{shared}:12:8: theme folder:"), caught.value


def test_masthead_info_says_where_each_setting_stands(tmp_path):
    from masthead.cli import main

    root = _publication(tmp_path / "pub", issues=1)
    result = CliRunner().invoke(main, ["info", str(root / "issue-01"), "--json"])
    assert result.exit_code == 0, result.output
    sources = json.loads(result.output)["sources"]
    assert sources["issn"] == f"{root / 'publication.yaml'}:3:1"
    assert sources["pdf.page_size"] == f"{root / 'publication.yaml'}:8:3"
    assert sources["title"] == f"{root / 'issue-01' / 'issue.yaml'}:1:1"
    assert sources["pdf.margins"] is None
    table = CliRunner().invoke(main, ["info", str(root / "issue-01")]).output
    assert f"issn              {root / 'publication.yaml'}:3:1" in table


# ---------------------------------------------------------------------------- the catalogue build


def test_a_catalogue_build_builds_every_issue_then_only_what_changed(tmp_path):
    root = _publication(tmp_path / "pub")
    out, cache = tmp_path / "out", Cache(tmp_path / "cache")
    first = publication.build(root, out, ("epub",), cache=cache)
    assert sorted(b.slug for b in first.built) == ["issue-01", "issue-02", "issue-03"]
    assert (out / "latest.epub").read_bytes() == (out / "issue-03.epub").read_bytes()  # the newest, by date
    assert (out / "index.html").is_file()
    index = (out / "index.html").stat()
    again = publication.build(root, out, ("epub",), cache=cache)
    assert (again.built, sorted(again.unchanged)) == ([], ["issue-01", "issue-02", "issue-03"])
    assert (out / "index.html").stat().st_ino == index.st_ino  # the same bytes: not written again
    article = root / "issue-02" / "articles" / "two.md"
    article.write_text(article.read_text() + "\nOne more line.\n")
    changed = publication.build(root, out, ("epub",), cache=cache)
    assert [b.slug for b in changed.built] == ["issue-02"] and len(changed.unchanged) == 2
    shared = root / "publication.yaml"
    shared.write_text(shared.read_text().replace("© Harbour Press", "© 2026 Harbour Press"))
    everything = publication.build(root, out, ("epub",), cache=cache)
    assert len(everything.built) == 3 and not everything.unchanged


def test_a_failing_issue_is_reported_at_its_line_and_the_others_are_written(tmp_path, monkeypatch):
    from masthead.cli import main

    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    root = _publication(tmp_path / "pub")
    bad = root / "issue-02" / "issue.yaml"
    bad.write_text(bad.read_text().replace("date: 2025-02-01", "date: 2025-02-31"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(root), "-o", str(out), "-f", "epub", "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert f"{bad}:2:7: invalid value '2025-02-31'" in result.output
    assert (out / "issue-01.epub").is_file() and (out / "issue-03.epub").is_file()
    assert not (out / "issue-02.epub").exists()
    assert (out / "latest.epub").read_bytes() == (out / "issue-03.epub").read_bytes()


@pytest.fixture(scope="module")
def local_build(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """A publication of three issues and a failing fourth, built here, one issue at a time."""
    root = _publication(tmp_path_factory.mktemp("pub") / "pub")
    _issue(root / "issue-04", 4, extra="cover: nowhere.jpg\n")
    out = tmp_path_factory.mktemp("local")
    report = publication.build(root, out, ("epub",), publication.local_runner(1), cache=Cache(None))
    assert [f.manifest_path.parent.name for f in report.failed] == ["issue-04"]
    return root, _files(out)


def test_two_local_workers_write_the_same_bytes_as_one(local_build, tmp_path):
    root, one = local_build
    report = publication.build(root, tmp_path, ("epub",), publication.local_runner(2), cache=Cache(None))
    assert len(report.built) == 3 and len(report.failed) == 1
    assert _files(tmp_path) == one


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A LocalCluster of two worker processes, one thread each, for the tests below to send
    issues to by its tcp:// address; its workers can be told to die once (publication._KILL_ONCE)."""
    from masthead.tools import distributed

    marker = tmp_path_factory.mktemp("kill") / "killed"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(publication._KILL_ONCE, str(marker))  # read by the workers, which start now
        with distributed.local_cluster(2) as started:  # what --scheduler local starts
            yield started, marker


def test_a_dask_cluster_writes_the_same_bytes_and_reports_the_failing_issue_at_its_line(local_build, cluster, tmp_path):
    from masthead.tools import distributed

    root, one = local_build
    report = publication.build(root, tmp_path, ("epub",), distributed.runner(cluster[0].scheduler_address), cache=Cache(None))
    assert sorted(b.slug for b in report.built) == ["issue-01", "issue-02", "issue-03"]
    (failed,) = report.failed
    assert str(failed.errors[0]).startswith(f"{root.resolve() / 'issue-04' / 'issue.yaml'}:4:8: "), failed.errors
    assert _files(tmp_path) == one


def test_an_issue_whose_dask_worker_is_killed_is_built_again_on_another(local_build, cluster, tmp_path):
    from masthead.tools import distributed

    root, one = local_build
    started, killed = cluster
    Path(f"{killed}.armed").touch()  # the next worker to start an issue ends itself (SIGKILL)
    report = publication.build(root, tmp_path, ("epub",), distributed.runner(started.scheduler_address), cache=Cache(None))
    assert killed.is_file()  # a worker was killed while it built an issue …
    assert len(report.built) == 3 and len(report.failed) == 1  # … and that issue was built all the same
    assert _files(tmp_path) == one


def test_scheduler_without_dask_installed_says_what_to_install(tmp_path, monkeypatch):
    import sys

    from masthead.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    root = _publication(tmp_path / "pub", issues=1)
    result = CliRunner().invoke(main, ["build", str(root), "-o", str(tmp_path / "out"), "--scheduler", "local"])
    assert result.exit_code == 2 and "pip install 'masthead[dask]'" in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_scheduler_without_a_publication_is_a_usage_error(tmp_path, issue_dir):
    from masthead.cli import main

    result = CliRunner().invoke(main, ["build", str(issue_dir), "-o", str(tmp_path / "o"), "--scheduler", "local"])
    assert result.exit_code == 2 and "publication" in result.output
    shutil.rmtree(tmp_path / "o", ignore_errors=True)


@pytest.mark.parametrize(("folders", "clash"), [
    (("latest",), "its epub output 'latest.epub' is also the catalogue's"),
    (("opds",), "its html output 'opds' is also the catalogue's"),
    (("a", "a.kepub"), "is also"),
])
def test_an_issue_folder_whose_outputs_another_owns_is_refused_before_anything_is_built(tmp_path, folders, clash):
    from masthead.diagnostics import UsageError

    root = tmp_path / "pub"
    root.mkdir()
    (root / "publication.yaml").write_text(SHARED, encoding="utf-8")
    for number, name in enumerate(folders, 1):
        _issue(root / name, number)
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=re.escape(clash)):
        publication.build(root, out, ("epub", "kepub", "html"))
    assert not out.exists()


@pytest.mark.parametrize("written", [True, False])
def test_two_issues_with_one_identifier_are_refused_at_the_second_naming_the_first_before_anything_is_built(
        tmp_path, written):
    """The catalogue's Atom and OPDS entries had one id for both. Written so, or made alike (the
    same date and number), the second issue.yaml is the error's place, the first named in it."""
    root = tmp_path / "pub"
    root.mkdir()
    (root / "publication.yaml").write_text(SHARED, encoding="utf-8")
    extra = "identifier: urn:isbn:9780000000002\n" if written else ""
    first, second = _issue(root / "issue-01", 1, extra), _issue(root / "issue-02", 2, extra)
    if not written:  # the same date and number: the same identifier made from them
        second.write_text(second.read_text().replace("date: 2025-02-01\nnumber: 2", "date: 2025-01-01\nnumber: 1"))
    out = tmp_path / "out"
    with pytest.raises(IssueError) as caught:
        publication.build(root, out, ("epub",))
    (diagnostic,) = caught.value.diagnostics
    where = f"{second}:4:1" if written else f"{second}:2:1"
    assert str(diagnostic).startswith(f"{where}: this issue's identifier"), diagnostic
    assert f"is also the issue's of {first}" in str(diagnostic)
    assert not out.exists()


def test_a_catalogue_build_links_no_language_switch_to_an_edition_it_does_not_make(tmp_path):
    """An issue with a French translation: its own build's web page links to ../issue-01.fr/,
    which a build of the edition makes beside it; a catalogue build makes no edition, so its
    page has no switch to a folder that is not there."""
    from masthead.pipeline import BuildContext, build

    root = _publication(tmp_path / "pub", issues=1)
    manifest = root / "issue-01" / "issue.yaml"
    manifest.write_text(manifest.read_text().replace(
        "  - articles/one.md\n", "  - file: articles/one.md\n    translations: {fr: articles/one.fr.md}\n"))
    (root / "issue-01" / "articles" / "one.fr.md").write_text("---\ntitle: Un\n---\n\nUn paragraphe.\n", encoding="utf-8")
    alone = build(manifest, tmp_path / "alone", ("html",), BuildContext(cache=Cache(None)))
    assert "../issue-01.fr/one.html" in (alone.outputs[0].path / "one.html").read_text(encoding="utf-8")
    out = tmp_path / "out"
    publication.build(root, out, ("html",), cache=Cache(None))
    page = (out / "issue-01" / "one.html").read_text(encoding="utf-8")
    assert ".fr/" not in page and 'class="languages"' not in page
    assert not (out / "issue-01.fr").exists()


def test_an_output_intent_publication_yaml_names_is_found_in_the_publication_folder_and_kept_inside_it(tmp_path):
    """output_intent in publication.yaml was looked for in each issue's folder; it is where the key
    is written, as a theme's folder is, and may not leave the publication's folder."""
    from masthead.runtime import icc

    root = _publication(tmp_path / "pub", issues=1)
    (root / "press").mkdir()
    (root / "press" / "coated.icc").write_bytes(icc.bundled())
    shared = root / "publication.yaml"
    shared.write_text(SHARED.replace("  columns: 1\n", "  columns: 1\n  color: cmyk\n  output_intent: press/coated.icc\n"),
                      encoding="utf-8")
    meta = loader.load(root / "issue-01" / "issue.yaml").meta
    assert meta.pdf.output_intent == (root / "press" / "coated.icc").resolve()
    (tmp_path / "elsewhere.icc").write_bytes(icc.bundled())
    shared.write_text(SHARED.replace("  columns: 1\n", "  columns: 1\n  color: cmyk\n  output_intent: ../elsewhere.icc\n"),
                      encoding="utf-8")
    with pytest.raises(IssueError) as caught:
        loader.load(root / "issue-01" / "issue.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic).startswith(f"{shared}:11:18: ") and "outside" in str(diagnostic), diagnostic
    issue = root / "issue-01"  # an issue's own output_intent is still its folder's
    (issue / "own.icc").write_bytes(icc.bundled())
    (issue / "issue.yaml").write_text((issue / "issue.yaml").read_text() + "pdf:\n  output_intent: own.icc\n")
    assert loader.load(issue / "issue.yaml").meta.pdf.output_intent == (issue / "own.icc").resolve()


def test_an_output_intent_escaping_publication_yaml_is_said_to_leave_the_publication_folder(tmp_path):
    """It was said to resolve outside "the issue folder", which publication.yaml is not in."""
    root = _publication(tmp_path / "pub", issues=1)
    shared = root / "publication.yaml"
    shared.write_text(SHARED.replace("  columns: 1\n", "  columns: 1\n  color: cmyk\n  output_intent: ../elsewhere.icc\n"),
                      encoding="utf-8")
    with pytest.raises(IssueError) as caught:
        loader.load(root / "issue-01" / "issue.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic) == f"{shared}:11:18: '../elsewhere.icc' resolves outside the publication folder"


def test_a_uuid_identifier_written_in_capitals_is_the_same_as_the_one_made_in_lower_case(tmp_path):
    """UUID URNs are case-insensitive: URN:UUID:351A… written in the second issue.yaml is the
    first issue's made urn:uuid:351a…, and one publication cannot hold both."""
    root = tmp_path / "pub"
    root.mkdir()
    (root / "publication.yaml").write_text(SHARED, encoding="utf-8")
    first = _issue(root / "issue-01", 1, "")
    made = loader.load(first).meta.identifier
    assert made.startswith("urn:uuid:") and made == made.lower()
    second = _issue(root / "issue-02", 2, f"identifier: {made.upper()}\n")
    out = tmp_path / "out"
    with pytest.raises(IssueError) as caught:
        publication.build(root, out, ("epub",))
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic).startswith(f"{second}:4:1: this issue's identifier '{made.upper()}'"), diagnostic
    assert f"is also the issue's of {first}" in str(diagnostic)
    assert not out.exists()
