"""The command: exit statuses, messages, what it writes, and that the README documents it."""

from __future__ import annotations

import re
import shutil
import time

import click
import pytest

from helpers import ROOT, copy_sample, masthead
from masthead.cli import main


def test_build_without_arguments_builds_every_issue(tmp_path):
    copy_sample(tmp_path / "issues" / "one")
    copy_sample(tmp_path / "issues" / "two")
    result = masthead("build", "--format", "epub", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["one.epub", "two.epub"]


def test_issue_yaml_path_is_accepted_and_output_named_by_folder(tmp_path, issue_dir):
    result = masthead("build", str(issue_dir / "issue.yaml"), "-o", str(tmp_path / "out"), "--format", "epub")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "issue.epub").is_file()
    assert not (tmp_path / "out" / "issue.pdf").exists()


def test_usage_errors_exit_2(tmp_path, issue_dir):
    assert masthead("build", str(issue_dir), "--format", "mobi").returncode == 2
    missing = masthead("build", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such issue" in missing.stderr
    assert masthead("frobnicate").returncode == 2


def test_issue_errors_exit_1_with_positions_and_write_nothing(tmp_path, issue_dir):
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text().replace("language: en", "language: en\nsectoins: []"))
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out))
    assert result.returncode == 1
    assert re.search(r"issue\.yaml:4:1: unknown key 'sectoins' in issue.yaml — did you mean 'sections'\?", result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() or list(out.iterdir()) == []


def test_failed_build_keeps_the_good_earlier_output(tmp_path, issue_dir):
    out = tmp_path / "out"
    assert masthead("build", str(issue_dir), "-o", str(out), "--format", "epub").returncode == 0
    before = (out / "issue.epub").read_bytes()
    (issue_dir / "articles" / "two.md").write_text("---\ndate: 2025-13-45\n---\n\nText.\n")
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub")
    assert result.returncode == 1
    assert "two.md:2:7: invalid value '2025-13-45'" in result.stderr
    assert (out / "issue.epub").read_bytes() == before
    assert [p.name for p in out.iterdir()] == ["issue.epub"]  # no temporary file left behind


def test_one_bad_issue_does_not_stop_the_others(tmp_path, issue_dir):
    good = tmp_path / "issues" / "good"
    shutil.copytree(issue_dir, good)
    bad = tmp_path / "issues" / "bad"
    shutil.copytree(issue_dir, bad)
    (bad / "issue.yaml").write_text("publication: [unclosed\n")
    result = masthead("build", "--format", "epub", cwd=tmp_path)
    assert result.returncode == 1
    assert (tmp_path / "dist" / "good.epub").is_file() and not (tmp_path / "dist" / "bad.epub").exists()


def test_version_and_help_start_quickly():
    started = time.perf_counter()
    result = masthead("--version")
    assert result.returncode == 0 and "masthead, version" in result.stdout
    # Not a timing assertion (those live in `make bench`): the heavy libraries stay unimported.
    probe = masthead("--help")
    assert "build" in probe.stdout
    assert time.perf_counter() - started < 60


def test_help_does_not_import_heavy_libraries():
    import subprocess
    import sys

    code = ("import sys; from masthead.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('weasyprint', 'ebooklib', 'lxml', 'markdown_it', 'PIL', 'fontTools', 'uharfbuzz') if m in sys.modules]\n"
            "print('HEAVY:' + ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "HEAVY:"


def test_the_command_skips_pythons_teardown_but_not_what_exit_does(tmp_path, issue_dir):
    """cli.run() leaves with os._exit: exit handlers still run, piped output is all there, the
    exit status is kept; only the freeing of objects (a __del__ at teardown here) is skipped."""
    import subprocess
    import sys

    code = ("import atexit, sys\n"
            "from masthead import cli\n"
            "class Freed:\n    def __del__(self): print('torn down', file=sys.stderr, flush=True)\n"
            "kept = Freed()\n"
            "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
            "sys.argv = ['masthead', *sys.argv[1:]]\n"
            "cli.run()\n")

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)

    built = command("build", str(issue_dir), "-o", str(tmp_path / "out"), "-f", "epub")
    assert built.returncode == 0, built.stderr
    assert built.stdout.rstrip().splitlines()[-1].startswith("built issue in ")
    assert built.stderr.splitlines() == ["exit handler ran"]  # and not 'torn down'
    info = command("info", str(issue_dir), "--json")  # a long stdout, through a pipe, complete
    assert info.returncode == 0 and info.stdout == masthead("info", str(issue_dir), "--json").stdout
    assert info.stdout.rstrip().endswith("}")
    assert command("build", str(tmp_path / "nowhere")).returncode == 2
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text().replace("language: en", "language: en\nsectoins: []"))
    broken = command("build", str(issue_dir), "-o", str(tmp_path / "out"), "-f", "epub")
    assert broken.returncode == 1 and "sectoins" in broken.stderr and broken.stderr.endswith("exit handler ran\n")


def _commands_and_options(group: click.Group):
    for name, command in group.commands.items():
        yield name, command
        for param in command.params:
            if isinstance(param, click.Option):
                yield name, max(param.opts, key=len)


def test_readme_documents_every_command_option_and_manifest_key():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = []
    for entry in _commands_and_options(main):
        if isinstance(entry[1], str):
            if f"`{entry[1]}`" not in readme and f"{entry[1]} " not in readme:
                missing.append(f"option {entry[1]} of {entry[0]}")
        elif f"masthead {entry[0]}" not in readme:
            missing.append(f"command {entry[0]}")
    from masthead.manifest import loader

    for key in loader.ISSUE_KEYS + loader.ARTICLE_KEYS + loader.PDF_KEYS + loader.EPUB_KEYS:
        if f"`{key}`" not in readme:
            missing.append(f"manifest key {key}")
    assert missing == []


@pytest.mark.serial
def test_killing_a_build_half_way_keeps_the_earlier_outputs(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    issue = tmp_path / "lantern"
    copy_sample(issue)
    out = tmp_path / "dist"
    assert masthead("build", str(issue), "-o", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    article = issue / "articles" / "last-word.md"
    article.write_text(article.read_text() + "\nA new closing line.\n")
    for sig in (signal.SIGKILL, signal.SIGINT):
        process = subprocess.Popen([sys.executable, "-m", "masthead", "build", str(issue), "-o", str(out)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2.5)  # well inside the PDF layout, which takes several seconds
        assert process.poll() is None, "the build ended before it could be interrupted"
        os.kill(process.pid, sig)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode != 0
        after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
        assert after == before, sig
        assert b"Traceback" not in stderr


def test_the_web_edition_never_replaces_the_issue_folder(tmp_path):
    """-o the issue's parent would put DIR/<slug>/ on the issue folder itself: refused, nothing lost."""
    issue = tmp_path / "lantern"
    copy_sample(issue)
    before = sorted(p.relative_to(issue) for p in issue.rglob("*"))
    for out in (tmp_path, tmp_path / "lantern" / ".."):
        result = masthead("build", str(issue), "-o", str(out), "--format", "epub,html")
        assert result.returncode == 2, result.stderr
        assert "replace the issue folder" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.relative_to(issue) for p in issue.rglob("*")) == before
    assert not (tmp_path / "lantern.epub").exists()  # nothing written at all
    (tmp_path / "current").symlink_to(issue)  # named through a link: the slug is still "lantern"
    linked = masthead("build", str(tmp_path / "current"), "-o", str(tmp_path), "--format", "html")
    assert linked.returncode == 2 and "replace the issue folder" in linked.stderr, linked.stderr
    assert sorted(p.relative_to(issue) for p in issue.rglob("*")) == before
    inside = masthead("build", str(issue), "-o", str(issue / "web"), "--format", "html")
    assert inside.returncode == 0, inside.stderr
    assert (issue / "web" / "lantern" / "index.html").is_file() and (issue / "issue.yaml").is_file()
    here = masthead("build", ".", "-o", ".", "--format", "html", cwd=issue)  # DIR/<slug>/ inside the issue
    assert here.returncode == 0, here.stderr
    assert (issue / "lantern" / "index.html").is_file() and (issue / "issue.yaml").is_file()


def test_the_progress_bar_runs_no_thread_while_the_build_may_fork(tmp_path, monkeypatch):
    """On a terminal the bar shows each stage; a refresh thread of its own would keep the build
    from forking the copies that work meanwhile (workers.py: no fork beside another thread),
    so it ticks by itself only from the print layout on, and is gone when the build is."""
    import sys
    import threading

    from masthead import cli

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    before = threading.active_count()
    with cli._progress(tmp_path / "issue" / "issue.yaml", quiet=False, verbose=False) as advance:
        for stage in ("manifest", "articles", "render"):
            advance(stage)
            assert threading.active_count() == before, stage
        advance("print layout")
        assert threading.active_count() == before + 1
    assert threading.active_count() == before
