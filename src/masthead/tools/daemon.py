"""``masthead daemon``: one resident process that runs the builds of every ``masthead build``.

A one-shot build pays for Python's start and its imports before it reads a byte of the issue:
click, PyYAML, lxml, markdown-it, Jinja2, Babel and ebooklib alone take more than a quarter
of a cold build of twelve stories. A daemon pays that once. While one runs, ``masthead
build`` (the client, :func:`forward`) sends it its arguments, folder and environment over a
Unix socket, and prints what comes back: the same lines, the same exit status, the same
files. The daemon keeps what it read and computed in memory between builds
(a remembering cache, which the command it is handed keeps), as ``build --watch`` does, so a build after one article changed reads
that article and takes the rest from memory.

The socket lives in the cache folder (``<cache>/daemon.sock``): a daemon serves the builds that
use its cache, so a build with another ``MASTHEAD_CACHE_DIR``, or with the cache off, never
reaches it. Only the same user may connect, either way (the socket is 0600, and where the
system tells, each end checks the other's uid). The client falls back to building in its own
process whenever the daemon is not there, does not take the build within ACK_SECONDS (busy
with another, or stopped), or runs other code than the client (it then stops: a daemon never
serves an older masthead's results). ``--watch``, ``--debug`` and ``--help`` always run in the
client's own process. What the build prints reaches the client as it is printed. Ctrl-C in
the client interrupts its build in the daemon, which then writes nothing, as a one-shot build
would; Ctrl-C or SIGTERM to the daemon lets the build under way finish, then stops it.

The client side (:func:`forward`) imports nothing beyond a few built-in modules and
``masthead.runtime.locations``: it must cost a small part of what the daemon saves.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import socket
import struct
import sys
from collections.abc import Callable

from masthead import __version__
from masthead.runtime import locations

SOCKET_NAME = "daemon.sock"
MAX_SOCKET_PATH = 100  # AF_UNIX paths end at 107 bytes (Linux), 103 (macOS)
NO_DAEMON = "MASTHEAD_NO_DAEMON"  # set (to anything but ""): every build runs in its own process
ACK_SECONDS = 2.0  # a daemon that has not taken the build by then is busy or stopped: build here
REQUEST_SECONDS = 5.0  # a client that has not sent its request by then is dropped
# Options of build that stay in the client's process: combined short flags (-qw) count too
_HERE_LONG = ("--watch", "--debug", "--help")
_HERE_SHORT = ("w", "h")
VALUE_FLAGS = "ofje"  # build's short options that take a value (a test holds it to the CLI's)
_TAKEN = b"+"  # the daemon's word that it runs the build now; frames follow


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
    value is the rest (-owatch is -o watch, -ehe is --edition he)."""
    flags = ""
    for flag in arg[1:]:
        flags += flag
        if flag in VALUE_FLAGS:
            break
    return flags


def socket_path() -> str | None:
    folder = locations.cache_folder()
    if folder is None:
        return None
    path = os.path.join(os.path.abspath(os.path.expanduser(folder)), SOCKET_NAME)
    return path if len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def stamp() -> str:
    """The code a build runs: this environment (sys.prefix: a venv, however its python is
    named), this Python, masthead's version, folder and modules."""
    return f"{sys.prefix}\n{sys.version}\n{os.path.dirname(os.path.abspath(locations.__file__))}\n{__version__}\n" \
        f"{locations.code_listing()}"


def forward(argv: list[str]) -> int | None:
    """Run ``masthead ARGV`` in the daemon, print its output here as it comes, and return its
    exit status; None when no daemon took it (build here, then: nothing was printed)."""
    if not forwardable(argv):
        return None
    path = socket_path()
    if path is None or not os.path.exists(path):
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(ACK_SECONDS)
        try:
            client.connect(path)
            if not _same_user(client):
                return None  # a socket another user put there: tell it nothing
            mask = os.umask(0)
            os.umask(mask)
            _send(client, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "stamp": stamp(),
                           "umask": mask, "prog": _prog_name()})
            if _exactly(client, 1) != _TAKEN:
                return None  # a daemon of other code: it stops; build here
        except (OSError, ValueError, EOFError, TypeError):
            return None  # no daemon behind the socket, busy, or gone: build here (it skips ours, closed)
        client.settimeout(None)  # a long PDF takes what it takes
        try:
            while True:
                frame = _receive(client)
                if not isinstance(frame, tuple) or len(frame) != 2:
                    print("masthead: the daemon stopped during the build; build again", file=sys.stderr)
                    return 1
                kind, value = frame
                if kind == 0:
                    return int(value)
                stream = sys.stdout if kind == 1 else sys.stderr
                stream.flush()
                stream.buffer.write(value.encode(stream.encoding or "utf-8", "surrogateescape"))  # bytes of a path as they were
                stream.buffer.flush()
        except (OSError, ValueError, EOFError, TypeError):
            print("masthead: the daemon stopped during the build; build again", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        client.close()  # the daemon hears it and interrupts the build (the outputs stay as they were)
        print("masthead: interrupted; no output of the build under way was changed", file=sys.stderr)
        return 130
    finally:
        client.close()


def _prog_name() -> str:
    """What click would call this program here (for its usage lines)."""
    first = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "masthead"
    return "python -m masthead" if first == "__main__.py" else first


# marshal, not json or pickle: built in (nothing to import), and both ends are one interpreter
# (the stamp says so) of one user (the socket's mode and the peers' uids say so).
def _send(connection: socket.socket, message) -> None:
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


def _same_user(connection: socket.socket) -> bool:
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # the socket's mode (0600) is the guard there
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1] == os.getuid()


# ------------------------------------------------------------------------------ the daemon


class HungUp(KeyboardInterrupt):
    """The client went away during its build (Ctrl-C): the build stops as at a Ctrl-C of its
    own, the daemon does not."""


class _Relay:
    """sys.stdout or sys.stderr during a served build: each write goes to the client at once."""

    encoding = "utf-8"
    errors = "surrogateescape"

    def __init__(self, stream: int, connection: socket.socket):
        self.stream, self.connection, self.gone = stream, connection, False

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "surrogateescape")
        if text and not self.gone:
            try:
                _send(self.connection, (self.stream, text))
            except OSError:
                self.gone = True  # the client went away: HungUp ends the build
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:  # no progress bar: the client's terminal is not ours
        return False

    def writable(self) -> bool:
        return True


def serve(command: Callable[[list[str], str], None], say=lambda line: None) -> None:
    """Serve builds on the cache folder's socket until interrupted (Ctrl-C, SIGTERM).

    ``command(argv, prog)`` runs ``masthead ARGV`` as the command line does and ends in
    SystemExit (the CLI hands its own in: the daemon does not import it)."""
    import signal
    import time
    from pathlib import Path

    from masthead.diagnostics import UsageError

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
    os.chdir(path.parent)  # a folder that stays: the one it was started in may go
    ours = stamp()
    busy, stopping = [False], [False]

    def stop(signum, frame):
        if busy[0]:
            stopping[0] = True  # the build under way is the client's: finish it, then stop
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGIO, signal.SIG_IGN)  # its default ends the process; _run listens only during a build
    say(f"masthead daemon: serving the builds that use {path.parent} (Ctrl-C stops)")
    try:
        while not stopping[0]:
            connection, _ = server.accept()
            saved = _state()
            busy[0] = True
            with connection:
                try:
                    if _serve_one(command, connection, ours, say, time.perf_counter):
                        return
                except HungUp:  # landed outside the build's own handling: it is over all the same
                    _restore(saved)
                    say("masthead daemon: the client went away")
                except Exception as exc:  # noqa: BLE001 - a client that broke off, or garbled: serve the next
                    _restore(saved)
                    say(f"masthead daemon: a request failed: {type(exc).__name__}: {exc}")
                finally:
                    _quiet(connection)
                    signal.signal(signal.SIGIO, signal.SIG_IGN)
                    _restore(saved)  # whatever the request changed, the next starts from here
                    _reap()
                    busy[0] = False
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the goodbye
        server.close()
        path.unlink(missing_ok=True)
    say("stopped")


def _serve_one(command: Callable[[list[str], str], None], connection: socket.socket, ours: str, say, clock) -> bool:
    """Serve one request; True when the daemon must stop (a client of other code asked)."""
    if not _same_user(connection):
        return False
    connection.settimeout(REQUEST_SECONDS)  # a peer that connects and says nothing must not hold the others
    request = _receive(connection)
    if not isinstance(request, dict):
        return False
    if request.get("stamp") != ours:
        say("masthead daemon: a build of other code asked; stopping (start the daemon again)")
        return True  # the client hears no _TAKEN and builds itself
    connection.settimeout(None)
    started = clock()
    streams = sys.stdout, sys.stderr
    try:
        code = _run(command, request, connection)
    finally:
        sys.stdout, sys.stderr = streams  # the daemon's log is not the client's
    _quiet(connection)  # the build is over: the client's close after the last frame is no Ctrl-C
    if code is None:
        say(f"{request['cwd']}$ masthead {' '.join(request['argv'])}: its client had gone; not built")
    else:
        with contextlib.suppress(OSError):  # the client went away (Ctrl-C) at the last moment: its outputs are written
            _send(connection, (0, code))
        say(f"{request['cwd']}$ masthead {' '.join(request['argv'])}: exit {code} in {clock() - started:.3f} s")
    return False


def _run(command: Callable[[list[str], str], None], request: dict, connection: socket.socket) -> int | None:
    """``masthead ARGV`` as the client would have run it: its folder, its environment, its
    umask, its output relayed as it comes; a Ctrl-C in the client (its end of the socket
    closed) interrupts it. None when the client had gone before the build began. serve()
    puts the daemon's own folder, environment and streams back after it."""
    _interrupt_when_closed(connection)
    if _closed(connection):  # Ctrl-C while it waited, before SIGIO listened: not a byte written
        return None
    connection.sendall(_TAKEN)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.umask(request["umask"])
    sys.stdout, sys.stderr = _Relay(1, connection), _Relay(2, connection)
    try:
        command(list(request["argv"]), request["prog"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:  # HungUp outside the build's handling of it
        code = 130
    except Exception as exc:  # noqa: BLE001 - the daemon goes on serving; the client hears it
        from masthead.diagnostics import internal_error

        sys.stderr.write(internal_error("masthead", exc, debug=True) + "\n")
        code = 1
    return code


def _state() -> tuple:
    mask = os.umask(0o022)
    os.umask(mask)
    return os.getcwd(), dict(os.environ), sys.stdout, sys.stderr, mask


def _restore(saved: tuple) -> None:
    """Put back what _state() saw (idempotent: it may run twice when a Ctrl-C lands late)."""
    os.chdir(saved[0])
    if dict(os.environ) != saved[1]:
        os.environ.clear()
        os.environ.update(saved[1])
    sys.stdout, sys.stderr = saved[2], saved[3]
    os.umask(saved[4])


def _reap() -> None:
    """Collect the exit of any process the build forked and an interruption left unwaited."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _closed(connection: socket.socket) -> bool:
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:  # reset by the client's end: gone too
        return True


def _interrupt_when_closed(connection: socket.socket) -> None:
    """Raise HungUp here when the client closes its end (Ctrl-C) during the build: SIGIO says
    the socket has news, and news from a client that sent all it sends is its end. serve()
    puts SIGIO back to ignored after the request."""
    import fcntl
    import signal

    fired: list[bool] = []

    def heard(signum, frame):
        if fired or not _closed(connection):  # once: a second raise could land in the handling of the first
            return
        fired.append(True)
        raise HungUp

    signal.signal(signal.SIGIO, heard)
    fcntl.fcntl(connection.fileno(), fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(connection.fileno(), fcntl.F_SETFL, fcntl.fcntl(connection.fileno(), fcntl.F_GETFL) | os.O_ASYNC)


def _quiet(connection: socket.socket) -> None:
    """No more SIGIO from this connection (its close after the build is no Ctrl-C)."""
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.fcntl(connection.fileno(), fcntl.F_SETFL, fcntl.fcntl(connection.fileno(), fcntl.F_GETFL) & ~os.O_ASYNC)
