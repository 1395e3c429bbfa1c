"""Output formats plug in: a format declared and registered here, in the test alone, is built,
written, listed by the command and heard by the progress bar, without a line of masthead changed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from helpers import pipeline
from masthead.export import formats
from masthead.pipeline import BuildContext, build, outputs_of, progress_stages
from masthead.tools import scaffold


class PlainText(formats.OutputFormat):
    """The articles' words as one plain-text file, from the rendered documents only."""

    name, help, suffix = "txt", "txt (the articles as plain text)", ".txt"

    def export(self, job: formats.Export) -> bytes:
        parts = []
        for document in job.rendered.documents_of("article"):
            root = etree.fromstring(document.content)
            parts.append(" ".join("".join(root.itertext()).split()))
        return ("\n\n".join(parts) + "\n").encode("utf-8")


class EpubSize(formats.OutputFormat):
    """A format made from another's bytes: the EPUB's size, as text."""

    name, help, suffix, uses = "size", "size (the EPUB's size)", ".size", ("epub",)

    def export(self, job: formats.Export) -> bytes:
        return f"{len(job.outputs['epub'])}\n".encode()


@pytest.fixture
def registered():
    added = [formats.register(PlainText()), formats.register(EpubSize())]
    try:
        yield added
    finally:
        for output_format in added:
            formats.unregister(output_format.name)


@pytest.fixture(scope="module")
def issue(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("formats") / "weekly"
    scaffold.create(folder, language="en", publication="The Weekly")
    return folder / "issue.yaml"


def test_a_format_registered_from_outside_is_built_and_written(registered, issue, tmp_path):
    heard: list[str] = []
    result = build(issue, tmp_path, ("txt",), BuildContext(progress=heard.append))
    (output,) = result.outputs
    assert output.format == "txt" and output.path == tmp_path / "weekly.txt"
    text = output.path.read_text(encoding="utf-8")
    headline = pipeline(issue).read().articles[0].title
    assert headline and headline in text
    assert heard == ["manifest", "articles", "render", "txt", "write"]  # no print layout: it asked for none
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weekly.txt"]


def test_a_format_made_from_another_gets_its_bytes_and_only_the_chosen_one_is_written(registered, issue, tmp_path):
    result = build(issue, tmp_path, ("size",))
    assert [o.format for o in result.outputs] == ["size"]
    assert not (tmp_path / "weekly.epub").exists()  # made for it, not written
    both = build(issue, tmp_path / "both", ("epub", "size"))
    epub = (tmp_path / "both" / "weekly.epub").read_bytes()
    assert (tmp_path / "both" / "weekly.size").read_text() == f"{len(epub)}\n"
    zipfile.ZipFile(tmp_path / "both" / "weekly.epub").testzip()
    assert [o.format for o in both.outputs] == ["epub", "size"]


def test_the_command_takes_lists_and_prints_a_registered_format(registered, issue, tmp_path):
    from masthead.cli import main

    runner = CliRunner()
    shown = runner.invoke(main, ["build", "--help"])
    assert "txt (the articles as plain text)" in " ".join(shown.output.split())  # wrapped to the terminal
    built = runner.invoke(main, ["build", str(issue.parent), "-o", str(tmp_path), "-f", "txt"])
    assert built.exit_code == 0, built.output
    assert f"{tmp_path / 'weekly.txt'}" in built.output
    assert "txt" in progress_stages()
    assert tmp_path / "weekly.txt" in outputs_of(issue, tmp_path)  # --watch ignores it as its own


def test_an_unregistered_format_is_a_usage_error_naming_the_choices(issue, tmp_path):
    from masthead.cli import main

    refused = CliRunner().invoke(main, ["build", str(issue.parent), "-o", str(tmp_path), "-f", "txt"])
    assert refused.exit_code == 2
    assert "txt: choose from epub, pdf, kepub, html, azw3" in refused.output
    with pytest.raises(ValueError):
        formats.register(type("Bad", (formats.OutputFormat,), {"name": "no good"})())
