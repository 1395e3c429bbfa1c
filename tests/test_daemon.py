"""``masthead daemon``: builds it serves are the builds run alone, bytes, messages and exit
status alike; a client's Ctrl-C interrupts its build there; a daemon of other code is never
used; and without a daemon every build runs in its own process."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from helpers import CORPUS, SAMPLE, copy_sample, masthead, translated_issue
from masthead.tools import daemon as resident


class Daemon:
    """A `masthead daemon` on a cache folder of its own, and the lines it logs."""

    def __init__(self):
        self.cache = Path(tempfile.mkdtemp(prefix="mh-", dir="/tmp"))  # a socket path must be short
        self.env = {k: v for k, v in os.environ.items() if k != resident.NO_DAEMON}
        self.env["MASTHEAD_CACHE_DIR"] = str(self.cache)
        self.process = subprocess.Popen([sys.executable, "-m", "masthead", "daemon"], env=self.env,
                                        stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stderr], daemon=True)
        self.reader.start()
        assert "serving the builds" in self.next_line(), "the daemon did not start"

    def next_line(self, timeout: float = 60) -> str:
        return self.lines.get(timeout=timeout)

    def build(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return masthead("build", *args, cwd=cwd, env=self.env)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=30)  # the log read to its end
        self.process.stderr.close()
        shutil.rmtree(self.cache, ignore_errors=True)
        return code


@pytest.fixture
def served():
    d = Daemon()
    yield d
    d.stop()


def _alone(*args: str) -> subprocess.CompletedProcess:
    return masthead("build", *args, env={**os.environ, "MASTHEAD_CACHE_DIR": "off"})


def test_a_build_the_daemon_serves_is_the_build_run_alone(served, tmp_path):
    issue = tmp_path / "lantern"
    copy_sample(issue)
    first = served.build(str(issue), "-o", str(tmp_path / "d"), "-f", "epub")
    assert first.returncode == 0, first.stderr
    assert "exit 0" in served.next_line() and "built lantern" in first.stdout
    article = issue / "articles" / "last-word.md"
    article.write_text(article.read_text("utf-8") + "\nA late correction, served from memory.\n", "utf-8")
    again = served.build(str(issue), "-o", str(tmp_path / "d"), "-f", "epub", "-v")
    assert again.returncode == 0, again.stderr
    assert "build" in served.next_line()  # served, not built in the client's process
    alone = _alone(str(issue), "-o", str(tmp_path / "a"), "-f", "epub", "-v")
    assert (tmp_path / "d" / "lantern.epub").read_bytes() == (tmp_path / "a" / "lantern.epub").read_bytes()
    shape = lambda text: [line.split(" in ")[0] for line in text.splitlines() if "  " not in line and "from the cache" not in line]  # noqa: E731
    assert shape(again.stderr) == shape(alone.stderr) and again.stdout.replace(str(tmp_path / "d"), "") \
        .split("built")[0] == alone.stdout.replace(str(tmp_path / "a"), "").split("built")[0]


def test_a_served_build_takes_the_edition_and_makes_the_edition_run_alone(served, tmp_path):
    issue = translated_issue(tmp_path / "fanar")
    served_build = served.build(str(issue), "-o", str(tmp_path / "d"), "-f", "epub", "--edition", "fr")
    assert served_build.returncode == 0 and "exit 0" in served.next_line(), served_build.stderr
    alone = _alone(str(issue), "-o", str(tmp_path / "a"), "-f", "epub", "-e", "fr")
    assert alone.returncode == 0, alone.stderr
    assert (tmp_path / "d" / "fanar.fr.epub").read_bytes() == (tmp_path / "a" / "fanar.fr.epub").read_bytes()
    assert not (tmp_path / "d" / "fanar.epub").exists()


def test_an_issue_with_errors_gets_its_messages_and_status_through_the_daemon(served, tmp_path):
    issue = tmp_path / "lantern"
    copy_sample(issue)
    manifest = issue / "issue.yaml"
    manifest.write_text(manifest.read_text("utf-8").replace("sections:", "sectoins:", 1), "utf-8")
    broken = served.build("lantern", "-o", "out", "-f", "epub", cwd=tmp_path)  # relative paths: the client's folder
    assert broken.returncode == 1 and "exit 1" in served.next_line()
    assert "lantern/issue.yaml:" in broken.stderr and "sectoins" in broken.stderr and "Traceback" not in broken.stderr
    assert not (tmp_path / "out").exists()
    usage = served.build("no-such-issue", cwd=tmp_path)
    assert usage.returncode == 2 and "no such issue" in usage.stderr and "exit 2" in served.next_line()
    manifest.write_text(manifest.read_text("utf-8").replace("sectoins:", "sections:", 1), "utf-8")
    fixed = served.build("lantern", "-o", "out", "-f", "epub", cwd=tmp_path)
    assert fixed.returncode == 0 and (tmp_path / "out" / "lantern.epub").exists() and "exit 0" in served.next_line()


@pytest.mark.serial
def test_ctrl_c_in_the_client_interrupts_its_build_in_the_daemon(served, tmp_path):
    issue = tmp_path / "strand"
    shutil.copytree(CORPUS, issue)
    for path in [issue, *issue.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    client = subprocess.Popen([sys.executable, "-m", "masthead", "build", str(issue), "-o", str(tmp_path / "out"),
                               "-f", "pdf"], env=served.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)  # the PDF of twelve stories takes many seconds more
    client.send_signal(signal.SIGINT)
    out, err = client.communicate(timeout=60)
    assert client.returncode == 130 and "interrupted" in err, (out, err)
    assert "exit 130" in served.next_line(timeout=60)
    assert not (tmp_path / "out" / "strand.pdf").exists()
    after = served.build(str(issue), "-o", str(tmp_path / "out"), "-f", "epub", "-q")  # the daemon goes on
    assert after.returncode == 0 and "exit 0" in served.next_line()


def test_a_daemon_of_other_code_stops_and_the_build_runs_here(served, tmp_path, monkeypatch):
    issue = tmp_path / "lantern"
    copy_sample(issue)
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(served.cache))
    monkeypatch.delenv(resident.NO_DAEMON)
    monkeypatch.setattr(resident, "stamp", lambda: "masthead of another day")
    assert resident.forward(["build", str(issue), "-o", str(tmp_path / "out"), "-f", "epub"]) is None
    assert "other code" in served.next_line()
    assert served.process.wait(timeout=30) == 0 and not (served.cache / resident.SOCKET_NAME).exists()
    assert not (tmp_path / "out").exists()  # the daemon built nothing; the client builds it itself


def test_garbled_or_silent_clients_do_not_stop_the_daemon(served, tmp_path):
    path = str(served.cache / resident.SOCKET_NAME)
    for data in (b"\x00\x00\x00\x03abc", b"\x00\x00\x00\x05" + __import__("marshal").dumps([1, 2])[:5], b"junk"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
            peer.connect(path)
            peer.sendall(data)
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(path)  # connected, says nothing: dropped after REQUEST_SECONDS; builds meanwhile run here
    try:
        waiting = served.build(str(SAMPLE), "-o", str(tmp_path / "a"), "-f", "epub", "-q")
        assert waiting.returncode == 0 and (tmp_path / "a" / "lantern-2025-11-28.epub").exists(), waiting.stderr
    finally:
        silent.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the daemon serves again
        result = served.build(str(SAMPLE), "-o", str(tmp_path / "b"), "-f", "epub", "-q")
        assert result.returncode == 0, result.stderr
        if any("exit 0" in line for line in _drain(served)):
            break
    else:
        pytest.fail("the daemon serves no build after garbled and silent clients")
    assert served.process.poll() is None


def _drain(d: Daemon) -> list[str]:
    lines = []
    while not d.lines.empty():
        lines.append(d.lines.get_nowait())
    return lines


def test_stopping_the_daemon_lets_the_build_under_way_finish(served, tmp_path):
    client = subprocess.Popen([sys.executable, "-m", "masthead", "build", str(SAMPLE), "-o", str(tmp_path / "out"),
                               "-f", "pdf"], env=served.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # the PDF is under way in the daemon
    served.process.send_signal(signal.SIGTERM)
    out, err = client.communicate(timeout=300)
    assert client.returncode == 0 and (tmp_path / "out" / "lantern-2025-11-28.pdf").exists(), (out, err)
    assert served.process.wait(timeout=60) == 0 and not (served.cache / resident.SOCKET_NAME).exists()


def test_a_served_build_writes_with_the_clients_umask(served, tmp_path):
    command = f"umask 077 && exec {sys.executable} -m masthead build {SAMPLE} -f epub -q -o"
    alone = subprocess.run(["sh", "-c", f"{command} {tmp_path / 'a' / 'x'}"],
                           env={**os.environ, "MASTHEAD_CACHE_DIR": "off"}, capture_output=True, text=True, timeout=300)
    served_run = subprocess.run(["sh", "-c", f"{command} {tmp_path / 'd' / 'x'}"],
                                env=served.env, capture_output=True, text=True, timeout=300)
    assert alone.returncode == 0 and served_run.returncode == 0 and "exit 0" in served.next_line()
    mode = lambda path: path.stat().st_mode & 0o777  # noqa: E731
    assert mode(tmp_path / "d" / "x") == mode(tmp_path / "a" / "x") == 0o700


def test_without_a_daemon_a_build_runs_in_its_own_process(tmp_path):
    cache = Path(tempfile.mkdtemp(prefix="mh-", dir="/tmp"))
    try:
        left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a daemon that died: its socket file stays
        left.bind(str(cache / resident.SOCKET_NAME))
        left.close()
        env = {k: v for k, v in os.environ.items() if k != resident.NO_DAEMON}
        result = masthead("build", str(SAMPLE), "-o", str(tmp_path / "out"), "-f", "epub", env={**env, "MASTHEAD_CACHE_DIR": str(cache)})
        assert result.returncode == 0 and "built lantern" in result.stdout, result.stderr
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def test_a_second_daemon_on_the_same_cache_is_a_usage_error(served):
    second = subprocess.run([sys.executable, "-m", "masthead", "daemon"], env=served.env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 2 and "already serves" in second.stderr
    assert served.process.poll() is None  # the first goes on


@pytest.mark.parametrize(("argv", "forwarded"), [
    (["build", "issues/x"], True), (["build", "-qv", "-o", "out"], True), (["build", "-owatch"], True),
    (["build", "x", "--", "-w"], True), (["build", "x", "-ehe"], True),
    (["build", "--watch"], False), (["build", "-qw"], False), (["build", "-h"], False),
    (["build", "--debug"], False), (["build", "--help"], False), (["check", "x"], False), ([], False),
])
def test_what_the_daemon_runs_and_what_stays_in_the_clients_process(argv, forwarded, monkeypatch):
    monkeypatch.delenv(resident.NO_DAEMON)
    assert resident.forwardable(argv) is forwarded
    monkeypatch.setenv(resident.NO_DAEMON, "1")
    assert resident.forwardable(argv) is False


def test_the_daemon_knows_which_short_options_of_build_take_a_value():
    """The client reads -qvo OUT as flags up to the first that takes a value: its list is the CLI's."""
    from masthead.cli import build as command
    from masthead.tools import daemon

    taking = sorted(opt[1] for param in command.params if not getattr(param, "is_flag", True)
                    for opt in param.opts if len(opt) == 2)
    assert taking == sorted(daemon.VALUE_FLAGS)
