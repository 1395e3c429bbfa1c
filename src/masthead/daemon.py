"""``masthead daemon``: one resident process that runs the builds of every ``masthead build``.

A one-shot build pays for Python's start and its imports before it reads a byte of the issue:
click, PyYAML, lxml, markdown-it, Jinja2, Babel and ebooklib alone take more than a quarter
of a cold build of twelve stories. A daemon pays that once. While one runs, ``masthead
build`` (the client, :func:`forward`) sends it its arguments, folder and environment over a
Unix socket, and prints what comes back: the same lines, the same exit status, the same
files. The daemon keeps what it read and computed in memory between builds
(``cache.remember``), as ``build --watch`` does, so a build after one article changed reads
that article and takes the rest from memory.

The socket lives in the cache folder (``<cache>/daemon.sock``): a daemon serves the builds that
use its cache, so a build with another ``MASTHEAD_CACHE_DIR``, or with the cache off, never
reaches it. Only the same user may connect (the socket is 0600 and, where the system tells,
the peer's uid is checked). The client falls back to building in its own process whenever the
daemon is not there, does not answer, or runs other code than the client (it then stops: a
daemon never serves an older masthead's results). ``--watch``, ``--debug`` and ``--help``
always run in the client's own process. Ctrl-C in the client interrupts its build in the
daemon, which then writes nothing, as a one-shot build would.

The client side (:func:`forward`) imports nothing beyond a few built-in modules and
``masthead.locations``: it must cost a small part of what the daemon saves.
"""

from __future__ import annotations

import marshal
import os
import socket
import struct
import sys

from masthead import __version__, locations

SOCKET_NAME = "daemon.sock"
MAX_SOCKET_PATH = 100  # AF_UNIX paths end at 107 bytes (Linux), 103 (macOS)
NO_DAEMON = "MASTHEAD_NO_DAEMON"  # set (to anything but ""): every build runs in its own process
# Options of build that stay in the client's process: combined short flags (-qw) count too
_HERE_LONG = ("--watch", "--debug", "--help")
_HERE_SHORT = ("w", "h")


# ------------------------------------------------------------------------------ the client


def forwardable(argv: list[str]) -> bool:
    """Is this a command the daemon runs? ``build``, one-shot, without --debug or --help."""
    if not argv or argv[0] != "build" or os.environ.get(NO_DAEMON):
        return False
    for arg in argv[1:]:
        if arg == "--":
            break
        if arg in _HERE_LONG or (arg[:1] == "-" and arg[1:2] != "-" and arg[1:2].isalpha()
                                 and any(flag in _HERE_SHORT for flag in _short_flags(arg))):
            return False
    return True


def _short_flags(arg: str) -> str:
    """The flags of a cluster like -qvw: up to the first that takes a value (-o, -f, -j), whose
    value is the rest (-owatch is -o watch)."""
    flags = ""
    for flag in arg[1:]:
        flags += flag
        if flag in "ofj":
            break
    return flags


def socket_path() -> str | None:
    folder = locations.cache_folder()
    if folder is None:
        return None
    path = os.path.join(os.path.abspath(os.path.expanduser(folder)), SOCKET_NAME)
    return path if len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def stamp() -> str:
    """The code a build runs: this interpreter, masthead's version and its modules."""
    return f"{sys.executable}\n{__version__}\n{locations.code_listing()}"


def forward(argv: list[str]) -> int | None:
    """Run ``masthead ARGV`` in the daemon, print its output here, and return its exit status;
    None when no daemon took it (build here, then: nothing was printed and nothing written)."""
    if not forwardable(argv):
        return None
    path = socket_path()
    if path is None or not os.path.exists(path):
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(path)
        _send(client, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "stamp": stamp()})
        reply = _receive(client)
    except KeyboardInterrupt:
        client.close()  # the daemon hears it and interrupts the build (its outputs stay as they were)
        print("masthead: interrupted; no output was changed", file=sys.stderr)
        return 130
    except (OSError, ValueError, EOFError, TypeError):
        return None  # no daemon behind the socket, or it went away: build here
    finally:
        client.close()
    if not isinstance(reply, dict) or "code" not in reply:
        return None  # a daemon of other code: it stops; build here
    for stream, text in reply["output"]:
        (sys.stdout if stream == 1 else sys.stderr).write(text)
    return int(reply["code"])


# marshal, not json or pickle: built in (nothing to import), and both ends are one interpreter
# (the stamp says so) of one user (the socket's mode and its peer's uid say so).
def _send(connection: socket.socket, message: dict) -> None:
    data = marshal.dumps(message)
    connection.sendall(struct.pack(">I", len(data)) + data)


def _receive(connection: socket.socket):
    head = _exactly(connection, 4)
    if head is None:
        return None
    body = _exactly(connection, struct.unpack(">I", head)[0])
    return None if body is None else marshal.loads(body)


def _exactly(connection: socket.socket, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------------------ the daemon


class HungUp(KeyboardInterrupt):
    """The client went away during its build (Ctrl-C): the build stops as at a Ctrl-C of its
    own, the daemon does not."""


class _Recorder:
    """sys.stdout or sys.stderr during a served build: what the command prints, in order."""

    encoding = "utf-8"
    errors = "surrogateescape"

    def __init__(self, stream: int, output: list):
        self.stream, self.output = stream, output

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # click writes bytes where it finds no text stream of its liking
            text = text.decode("utf-8", "surrogateescape")
        if text:
            self.output.append((self.stream, text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:  # no progress bar: the client's terminal is not ours
        return False

    def writable(self) -> bool:
        return True


def serve(say=lambda line: None) -> None:
    """Serve builds on the cache folder's socket until interrupted (Ctrl-C, SIGTERM)."""
    import signal

    from masthead import cache, cli
    from masthead.errors import UsageError

    import time
    from pathlib import Path

    found = socket_path()
    if found is None:
        raise UsageError("the daemon needs the cache folder (MASTHEAD_CACHE_DIR is off), "
                         f"at a path of at most {MAX_SOCKET_PATH} bytes for its socket")
    path = Path(found)
    path.parent.mkdir(parents=True, exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)  # left by a daemon that did not stop cleanly
    else:
        server.close()
        raise UsageError(f"a daemon already serves {path.parent}")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)  # the socket is the user's alone
    try:
        server.bind(str(path))
    finally:
        os.umask(mask)
    server.listen(16)
    ours = stamp()

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGIO, signal.SIG_IGN)  # its default ends the process; _run listens only during a build
    say(f"masthead daemon: serving the builds that use {path.parent} (Ctrl-C stops)")
    try:
        with cache.remember():
            while True:
                connection, _ = server.accept()
                saved = _state()
                with connection:
                    try:
                        if _serve_one(cli, connection, ours, say, time.perf_counter):
                            return
                    except HungUp:  # landed outside the build's own handling: it is over all the same
                        _restore(saved)
                        say("masthead daemon: the client went away")
                    except (OSError, ValueError, EOFError, KeyError, TypeError) as exc:  # a client that broke off, or garbled
                        _restore(saved)
                        say(f"masthead daemon: a request failed: {type(exc).__name__}: {exc}")
                    finally:
                        _quiet(connection)
                        signal.signal(signal.SIGIO, signal.SIG_IGN)
                        _restore(saved)  # whatever the request changed, the next starts from here
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    finally:
        server.close()
        path.unlink(missing_ok=True)
    say("stopped")


def _serve_one(cli, connection: socket.socket, ours: str, say, clock) -> bool:
    """Serve one request; True when the daemon must stop (a client of other code asked)."""
    if not _same_user(connection):
        return False
    request = _receive(connection)
    if request is None:
        return False
    if request.get("stamp") != ours:
        _send(connection, {"stale": True})
        say("masthead daemon: a build of other code asked; stopping (start the daemon again)")
        return True
    started = clock()
    output: list = []
    code = _run(cli, request, output, connection)
    try:
        _send(connection, {"output": output, "code": code})
    except OSError:
        pass  # the client went away (Ctrl-C): its build was interrupted, nothing to tell
    say(f"{request['cwd']}$ masthead {' '.join(request['argv'])}: exit {code} in {clock() - started:.3f} s")
    return False


def _run(cli, request: dict, output: list, connection: socket.socket) -> int:
    """``masthead ARGV`` as the client would have run it: its folder, its environment, its
    output recorded; a Ctrl-C in the client (its end of the socket closed) interrupts it.
    The daemon's own folder, environment and streams come back after it (serve, _restore)."""
    saved = _state()
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.stdout, sys.stderr = _Recorder(1, output), _Recorder(2, output)
        _interrupt_when_closed(connection)
        try:
            cli.main.main(args=request["argv"], prog_name="masthead", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:  # HungUp outside the build's handling of it
            code = 130
        except Exception as exc:  # noqa: BLE001 - the daemon goes on serving; the client hears it
            output.append((2, f"masthead: internal error: {type(exc).__name__}: {exc} (run with --debug and report it)\n"))
            code = 1
    finally:
        _quiet(connection)
        _restore(saved)
    return code


def _state() -> tuple:
    return os.getcwd(), dict(os.environ), sys.stdout, sys.stderr


def _restore(saved: tuple) -> None:
    """Put back what _state() saw (idempotent: it may run twice when a Ctrl-C lands late)."""
    os.chdir(saved[0])
    if dict(os.environ) != saved[1]:
        os.environ.clear()
        os.environ.update(saved[1])
    sys.stdout, sys.stderr = saved[2], saved[3]


def _interrupt_when_closed(connection: socket.socket):
    """Raise KeyboardInterrupt here when the client closes its end (Ctrl-C) during the build:
    SIGIO says the socket has news, and news from a client that sent all it sends is its end.
    serve() puts SIGIO back to ignored after the request."""
    import fcntl
    import signal

    fired: list[bool] = []

    def heard(signum, frame):
        if fired:  # once: a second raise could land in the handling of the first
            return
        try:
            gone = connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            gone = False
        except OSError:  # reset by the client's end: gone too
            gone = True
        if gone:
            fired.append(True)
            raise HungUp

    signal.signal(signal.SIGIO, heard)
    fcntl.fcntl(connection.fileno(), fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(connection.fileno(), fcntl.F_SETFL, fcntl.fcntl(connection.fileno(), fcntl.F_GETFL) | os.O_ASYNC)


def _quiet(connection: socket.socket) -> None:
    """No more SIGIO from this connection (its reply, its close after the build are no Ctrl-C)."""
    import fcntl

    try:
        fcntl.fcntl(connection.fileno(), fcntl.F_SETFL, fcntl.fcntl(connection.fileno(), fcntl.F_GETFL) & ~os.O_ASYNC)
    except OSError:
        pass


def _same_user(connection: socket.socket) -> bool:
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # the socket's mode (0600) is the guard there
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1] == os.getuid()
