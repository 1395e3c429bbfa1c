"""masthead preview: the web edition served on 127.0.0.1, re-rendered and reloaded on change."""

from __future__ import annotations

import contextlib
import io
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

START_LINE = re.compile(r"http://127\.0\.0\.1:(\d+)/")


class Preview:
    """``masthead preview ISSUE --port 0`` in a subprocess; ``url`` once it has said where."""

    def __init__(self, issue: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "masthead", "preview", str(issue), "--port", "0"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True)
        self.reader.start()
        deadline, seen = time.monotonic() + 30, ""
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            seen += line
            if match := START_LINE.search(line):
                self.url = f"http://127.0.0.1:{match.group(1)}/"
                return
        self.process.kill()
        errors = self.process.stderr.read()
        pytest.fail(f"preview did not start: {seen}{errors}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def version(self) -> str:
        return self.get("__masthead__/version")[1]

    def wait_for_new_version(self, old: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (new := self.version()) != old:
                return new
            time.sleep(0.1)
        pytest.fail(f"the version stayed {old} after the change")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=10)  # it ends at the end of the output
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def preview(tmp_path, issue_dir):
    issue = tmp_path / "previewed"
    shutil.copytree(issue_dir, issue)
    server = Preview(issue)
    try:
        yield server, issue
    finally:
        server.stop()


def test_serves_the_web_edition_and_reloads_after_an_edit(preview):
    server, issue = preview
    assert server.url.startswith("http://127.0.0.1:")
    status, index = server.get("")
    assert status == 200 and 'href="one.html"' in index and "/__masthead__/version" in index
    status, page = server.get("one.html")
    assert status == 200 and "First story" in page and page.startswith("<!DOCTYPE html>")
    assert server.get("css/common.css")[0] == 200
    assert server.get("nothing.html")[0] == 404
    before = server.version()

    article = issue / "articles" / "one.md"
    article.write_text(article.read_text().replace("title: First story", "title: A story rewritten"))
    after = server.wait_for_new_version(before)
    page = server.get("one.html")[1]
    assert "A story rewritten" in page and f'var shown = "{after}"' in page

    # An error shows in every page, escaped, and the page still reloads itself.
    article.write_text(article.read_text().replace("title: A story", "date: 2025-13-45\ntitle: A story"))
    broken = server.wait_for_new_version(after)
    status, page = server.get("two.html")
    assert status == 500 and re.search(r"one\.md:\d+:\d+: invalid value &#x27;2025-13-45&#x27;", page), page
    assert "/__masthead__/version" in page
    article.write_text(article.read_text().replace("date: 2025-13-45\n", "date: 2025-01-30\n"))
    server.wait_for_new_version(broken)
    status, page = server.get("one.html")
    assert status == 200 and "A story rewritten" in page and "2025-01-30" in page

@pytest.mark.serial
def test_only_loopback_and_ctrl_c_stops_cleanly(preview):
    import signal
    import socket

    server, _ = preview
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except socket.gaierror:
        addresses = set()
    addresses.add("127.0.0.2")  # another loopback address: a server on 0.0.0.0 would answer there
    for address in addresses - {"127.0.0.1"}:
        with pytest.raises(OSError), socket.create_connection((address, port), timeout=2):
            pass
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=10) == 0
    assert "Traceback" not in server.process.stderr.read()


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)


def test_in_a_browser(preview, tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    from PIL import Image

    server, issue = preview
    url = server.url + "one.html"
    dom = chromium("--virtual-time-budget=3000", "--dump-dom", url, profile=tmp_path / "profile").stdout
    assert "First story" in dom and "The note." in dom

    before = server.version()
    article = issue / "articles" / "one.md"
    article.write_text(article.read_text().replace("title: First story", "title: Seen in Chromium"))
    server.wait_for_new_version(before)
    dom = chromium("--virtual-time-budget=3000", "--dump-dom", url, profile=tmp_path / "profile").stdout
    assert "Seen in Chromium" in dom and "First story" not in dom

    shot = tmp_path / "article.png"
    chromium(f"--screenshot={shot}", "--window-size=1000,1400", url, profile=tmp_path / "profile")
    assert shot.is_file()
    with Image.open(shot) as image:
        assert image.size == (1000, 1400)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [0, 0]) > 1


def test_flatplan_page(preview):
    server, _ = preview
    status, page = server.get("__masthead__/flatplan")
    assert status == 200 and "flatplan.png" in page and "/__masthead__/version" in page
    with urllib.request.urlopen(server.url + "__masthead__/flatplan.png", timeout=120) as response:
        data = response.read()
        assert response.headers["Content-Type"] == "image/png"
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.width > 500 and image.height > 200


@contextlib.contextmanager
def _served(edition):
    """The preview's server and handler for ``edition``, on a free port of 127.0.0.1, in a thread."""
    from masthead.tools import preview

    server = preview._Server(("127.0.0.1", 0), preview._handler(edition))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _raw_get(port: int, host: str | None, path: str = "/") -> tuple[int, bytes]:
    """(status, body) of a GET sent by hand, with the Host header given (None: no Host at all)."""
    import socket

    request = f"GET {path} HTTP/1.1\r\n" + (f"Host: {host}\r\n" if host is not None else "") + "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


class _Secret:
    """An edition whose every page is an unpublished issue's text."""

    manifest_path = Path("issues/secret/issue.yaml")

    def page(self, path: str):
        return 200, "text/plain; charset=utf-8", b"unpublished story"


def test_the_preview_answers_only_its_own_host_so_dns_rebinding_reads_nothing():
    """Report #18: any Host was answered, so a web page whose name an attacker points at 127.0.0.1
    (DNS rebinding) could read an unpublished issue from the preview."""
    with _served(_Secret()) as port:
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}", f"[::1]:{port}"):
            assert _raw_get(port, host) == (200, b"unpublished story"), host
        for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1.attacker.example:{port}",
                     f"localhost.attacker.example:{port}", "127.0.0.1", f"127.0.0.1:{port + 1}", "", None):
            assert _raw_get(port, host) == (421, b""), host


def test_a_request_that_fails_is_a_500_and_one_line_never_a_traceback(capsys):
    class Broken(_Secret):
        def page(self, path: str):
            raise RuntimeError("a bug\nover two lines")

    with _served(Broken()) as port:
        status, body = _raw_get(port, f"127.0.0.1:{port}", "/one.html")
        assert status == 500 and b"internal error" in body and b"Traceback" not in body
        assert _raw_get(port, f"127.0.0.1:{port}", "/two.html")[0] == 500  # still serving
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 2, err
    assert "issue.yaml: internal error: RuntimeError: a bug over two lines" in err


def test_the_flatplan_of_an_issue_with_errors_is_its_error_page(issue_dir, capsys):
    """Report #10: /__masthead__/flatplan.png on an issue with errors was a traceback."""
    from masthead.tools.preview import Edition

    article = issue_dir / "articles" / "one.md"
    article.write_text(article.read_text().replace("title: First story", "title: First story\ndate: 2025-13-45"))
    edition = Edition(issue_dir / "issue.yaml")
    edition.render()
    with _served(edition) as port:
        for path in ("/__masthead__/flatplan.png", "/__masthead__/flatplan/flatplan.png", "/__masthead__/flatplan"):
            status, body = _raw_get(port, f"localhost:{port}", path)
            assert status == 500 and b"has errors" in body and b"2025-13-45" in body, path
    assert "Traceback" not in capsys.readouterr().err
