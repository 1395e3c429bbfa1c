"""masthead preview: the web edition served on 127.0.0.1, re-rendered and reloaded on change."""

from __future__ import annotations

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
