"""``masthead preview``: the web edition served from memory on 127.0.0.1, reloaded as files change.

The issue is checked as ``masthead check`` checks it (load, read, render, the EPUB's fonts
off, nothing written), with the web edition made in memory by the same pipeline (the html
format, export/html.py) and kept there.
A background thread watches the issue folder and the theme's folders (watch.py), renders
again on a change and bumps a version number.
Every HTML page served gets a small script that asks ``/__masthead__/version`` every 700 ms
and reloads the page when the number changes. That script exists here only, never in a
build. While the issue has errors, every page is a list of them, which reloads the same way.
"""

from __future__ import annotations

import html as escape
import mimetypes
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from masthead.diagnostics import UsageError, internal_error
from masthead.runtime.cache import Cache
from masthead.tools import watch

if TYPE_CHECKING:
    from masthead.tools.check import Checked

VERSION_PATH = "/__masthead__/version"
FLATPLAN_PATH = "/__masthead__/flatplan"  # the print pages as a flatplan, drawn on request
FLATPLAN_PAGE = """<!DOCTYPE html>
<html lang="en" dir="ltr"><head><meta charset="utf-8"><title>Flatplan: %s</title>
<style>body{margin:1em;background:#eee}img{max-width:100%%}</style></head>
<body><img src="flatplan.png?v=%s" alt="Every print page of %s in spreads, with section and headline names"></body></html>
"""
RELOAD_SCRIPT = """<script>/* masthead preview: reload when the issue changes */
(function () {
  var shown = "%s";
  setInterval(function () {
    fetch("%s", {cache: "no-store"}).then(function (r) { return r.text(); })
      .then(function (v) { if (v.trim() !== shown) location.reload(); }, function () {});
  }, 700);
})();
</script>"""
ERROR_PAGE = """<!DOCTYPE html>
<html lang="en" dir="ltr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>masthead: errors in %s</title>
<style>body{font:15px/1.5 monospace;margin:2em;color:#222}h1{font-size:1.2em;color:#b00020}
li{white-space:pre-wrap;margin:.3em 0}</style></head>
<body><h1>%s has errors; fix them and this page reloads</h1>
<ul>
%s
</ul>
</body>
</html>
"""


class Edition:
    """The issue's current web edition, or its errors, and a version bumped at each render."""

    def __init__(self, manifest_path: Path, store: Cache | None = None):
        self.manifest_path = manifest_path
        self.store = store  # the cache each render reads (read-only: preview writes nothing), remembering
        self.lock = threading.Lock()
        self.version = 0
        self.files: dict[str, bytes] = {}  # the last good render
        self.errors: list[str] = []
        self.result: Checked | None = None  # the last good check, for the flatplan
        self.flatplan: tuple[int, bytes] | None = None  # (version, PNG), drawn when asked for

    def render(self) -> None:
        from masthead.tools import check

        started = time.perf_counter()
        result = check.check(self.manifest_path, formats=("epub", "html"), store=self.store)  # the web edition, made in memory
        errors = [str(d) for d in result.errors]
        if result.internal:
            errors.append(internal_error(self.manifest_path, result.internal))
        files = result.outputs.get("html") if not errors else None
        with self.lock:
            self.version += 1
            self.errors = errors
            if files is not None:
                self.files, self.result = files, result
        for line in errors:
            print(line, file=sys.stderr, flush=True)
        if not errors:
            print(f"rendered {self.manifest_path.parent.name} in {time.perf_counter() - started:.1f} s", flush=True)

    def page(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a request path."""
        name = unquote(urlsplit(path).path).lstrip("/") or "index.html"
        with self.lock:
            version, errors, data = self.version, self.errors, self.files.get(name)
        if name == VERSION_PATH.lstrip("/"):
            return HTTPStatus.OK, "text/plain; charset=utf-8", str(version).encode()
        if name == FLATPLAN_PATH.lstrip("/") and not errors:
            title = escape.escape(self.manifest_path.parent.name)
            return HTTPStatus.OK, "text/html; charset=utf-8", _with_script((FLATPLAN_PAGE % (title, version, title)).encode(), version)
        if name in (FLATPLAN_PATH.lstrip("/") + "/flatplan.png", "__masthead__/flatplan.png") and not errors:
            return HTTPStatus.OK, "image/png", self._flatplan(version)  # with errors: the error page, below
        is_page = name.endswith(".html")
        if errors and (is_page or data is None):
            items = "\n".join(f"<li>{escape.escape(line)}</li>" for line in errors)
            title = escape.escape(self.manifest_path.parent.name)
            body = (ERROR_PAGE % (title, title, items)).encode("utf-8")
            return HTTPStatus.INTERNAL_SERVER_ERROR, "text/html; charset=utf-8", _with_script(body, version)
        if data is None:
            return HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", f"{name}: not in this issue\n".encode()
        if is_page:
            return HTTPStatus.OK, "text/html; charset=utf-8", _with_script(data, version)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return HTTPStatus.OK, kind + ("; charset=utf-8" if kind.startswith("text/") else ""), data


    def _flatplan(self, version: int) -> bytes:
        """The flatplan of the current render: laid out once per version, when first asked for."""
        from masthead.tools import flatplan

        with self.lock:
            cached, result = self.flatplan, self.result
        if cached and cached[0] == version:
            return cached[1]
        if result is None or result.run is None:  # asked for only after a good render, which has both
            raise RuntimeError("no render to draw the flatplan of")
        png, _ = flatplan.of_issue(result.run)
        with self.lock:
            self.flatplan = (version, png)
        return png


def _with_script(page: bytes, version: int) -> bytes:
    script = (RELOAD_SCRIPT % (version, VERSION_PATH)).encode()
    at = page.rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


def _own_host(host: str | None, port: int) -> bool:
    """Is ``host`` (a request's Host header) this server's own address, 127.0.0.1 or localhost?"""
    names = ("127.0.0.1", "localhost", "[::1]")
    allowed = {f"{name}:{port}" for name in names} | (set(names) if port == 80 else set())
    return host is not None and host.strip().lower() in allowed


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A request that failed past the handler (a browser that went away mid-answer): one line, no traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            print(f"preview: a request failed: {type(error).__name__}: {error}".replace("\n", " "), file=sys.stderr, flush=True)


def _handler(edition: Edition) -> type[BaseHTTPRequestHandler]:
    """The request handler answering from ``edition``: only to its own ``Host``, never with a traceback."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            address = self.server.server_address  # (host, port): the server listens on 127.0.0.1
            if not isinstance(address, tuple) or not _own_host(self.headers.get("Host"), address[1]):
                # DNS rebinding: a page from elsewhere whose name now points at 127.0.0.1 would
                # read the issue; the browser still sends that name, so anything but ours is refused
                self.send_response(HTTPStatus.MISDIRECTED_REQUEST)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            try:
                status, kind, body = edition.page(self.path)
            except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, a 500, the preview goes on
                print(internal_error(edition.manifest_path, exc)
                      .replace("\n", " "), file=sys.stderr, flush=True)
                status, kind, body = (HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                                      b"internal error in masthead preview; see its terminal\n")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET  # noqa: N815 - the name http.server calls

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: no line per request
            pass

    return Handler


def serve(manifest_path: Path, port: int = 8000) -> None:
    """Serve the issue on 127.0.0.1:``port`` (0: any free port) until Ctrl-C."""
    edition = Edition(manifest_path, Cache.from_environment().remembering())
    try:
        server = _Server(("127.0.0.1", port), _handler(edition))
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from exc
    server.daemon_threads = True
    try:
        # each render takes what did not change from memory; watching before the first render
        with watch.started([manifest_path], lambda _: edition.render()):
            edition.render()
            print(f"previewing {manifest_path.parent.name} at http://127.0.0.1:{server.server_address[1]}/ "
                  "(Ctrl-C stops)", flush=True)
            server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
