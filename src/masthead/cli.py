"""The ``masthead`` command: parse options, call the pipeline, print results. Nothing else.

Heavy modules (WeasyPrint, ebooklib, lxml …) are imported inside the commands, so that
``masthead --help`` starts at once. Errors are printed as ``path:line:col: message`` and
leave with the exit status their exception class carries: 1 for an issue's errors,
2 for a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from masthead import __version__


def _formats(ctx, param, value: str) -> tuple[str, ...]:
    from masthead.build import FORMATS

    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(FORMATS)}")
    return chosen


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="masthead")
def main() -> None:
    """Compile magazine issues (issue.yaml + Markdown/HTML articles) into EPUB 3 and PDF."""


@main.command()
@click.argument("issues", nargs=-1, metavar="[ISSUE]...")
@click.option("-o", "--output", "output", default="dist", show_default=True, type=click.Path(file_okay=False),
              help="Folder for <slug>.epub and <slug>.pdf.")
@click.option("-f", "--format", "formats", default="epub,pdf", show_default=True, callback=_formats,
              help="Comma-separated outputs to build: epub, pdf, kepub (Kobo).")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
def build(issues: tuple[str, ...], output: str, formats: tuple[str, ...], quiet: bool, debug: bool) -> None:
    """Build each ISSUE (a folder or its issue.yaml); with none, every issues/*/issue.yaml."""
    from masthead import build as pipeline
    from masthead.errors import IssueError, MastheadError

    try:
        manifests = pipeline.find_issues(issues, Path.cwd())
    except MastheadError as exc:
        click.echo(f"masthead: {exc}", err=True)
        sys.exit(exc.exit_code)
    failed = False
    for manifest_path in manifests:
        try:
            result = pipeline.build(manifest_path, Path(output), formats)
        except IssueError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            failed = True
            continue
        except MastheadError as exc:
            click.echo(f"masthead: {exc}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:  # a bug of ours: say so plainly, in one line
            if debug:
                raise
            click.echo(f"{manifest_path}: internal error: {type(exc).__name__}: {exc} (run with --debug and report it)", err=True)
            failed = True
            continue
        if not quiet:
            for warning in result.warnings:
                click.echo(str(warning), err=True)
            for out in result.outputs:
                click.echo(f"{out.path}  {out.size / 1024:,.0f} KB")
            click.echo(f"built {result.slug} in {result.seconds:.1f} s")
    sys.exit(1 if failed else 0)
