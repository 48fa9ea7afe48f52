"""A small loopback HTTP server for the demo sources and the collector tests.

It serves a folder, fills in the ``{{ago:…}}`` timestamps (see :mod:`demo.placeholders`) at
request time, and behaves like a well-mannered site: ``ETag`` (of the file as stored) and
``Last-Modified`` headers, ``304 Not Modified`` for a matching conditional GET. Tests can inject
faults by path (a 500, a delay past the client's timeout, a fault that clears after N hits) and
read the log of requests it received.

    python include/demo/serve.py --port 8765 [--root include/demo/site] [--pidfile var/demo.pid]
"""

from __future__ import annotations

import argparse
import hashlib
import mimetypes
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

try:
    from demo.placeholders import render
except ImportError:  # run as a plain script without the package on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from demo.placeholders import render

__all__ = ["Fault", "DemoServer", "start_server", "SITE"]

SITE = Path(__file__).resolve().parent / "site"
TEXT_SUFFIXES = {".xml", ".rss", ".atom", ".json", ".html", ".htm", ".txt", ".csv"}
TYPES = {".xml": "application/rss+xml", ".atom": "application/atom+xml", ".json": "application/json"}


@dataclass
class Fault:
    """What to do instead of serving a path: wait ``delay`` seconds, then answer ``status``.

    ``status=None`` with a delay means "slow, then serve normally". ``times`` limits how many
    requests are affected (None: all), so a test can make a source fail and then recover.
    """

    status: int | None = 500
    delay: float = 0.0
    body: bytes = b"server error"
    times: int | None = None
    hits: int = field(default=0, compare=False)


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path):
        super().__init__(address, _Handler)
        self.root = root.resolve()
        self.faults: dict[str, Fault] = {}
        self.requests: list[tuple[str, int, dict[str, str]]] = []
        """(path, status, request headers) of every request, for tests to inspect."""
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if os.environ.get("YUQING_DEMO_VERBOSE"):
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        with self.server.lock:
            self.server.requests.append((self.path, status, dict(self.headers.items())))
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _fault(self, path: str) -> bool:
        fault = self.server.faults.get(path)
        if fault is None or (fault.times is not None and fault.hits >= fault.times):
            return False
        fault.hits += 1
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is None:
            return False
        try:
            self._send(fault.status, fault.body, {"Content-Type": "text/plain; charset=utf-8"})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting, as it should
        return True

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = unquote(urlsplit(self.path).path)
        if self._fault(path):
            return
        file = (self.server.root / path.lstrip("/")).resolve()
        if file.is_dir():
            file = file / "index.html"
        if not file.is_relative_to(self.server.root) or not file.is_file():
            self._send(404, b"not found", {"Content-Type": "text/plain; charset=utf-8"})
            return
        raw = file.read_bytes()
        stat = file.stat()
        etag = '"' + hashlib.sha256(raw).hexdigest()[:20] + '"'
        last_modified = formatdate(stat.st_mtime, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "no-cache"}
        if self._not_modified(etag, stat.st_mtime):
            self._send(304, b"", headers)
            return
        suffix = file.suffix.lower()
        ctype = TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        body = raw
        if suffix in TEXT_SUFFIXES:
            try:
                body = render(raw.decode("utf-8"), suffix=suffix).encode("utf-8")
                ctype += "; charset=utf-8"
            except UnicodeDecodeError:
                pass  # not UTF-8 (a GBK page, a truncated test feed): served as stored
        headers["Content-Type"] = ctype
        self._send(200, body, headers)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return int(mtime) <= parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
        return False


def start_server(root: Path = SITE, host: str = "127.0.0.1", port: int = 0) -> tuple[DemoServer, str]:
    """Serve ``root`` in a daemon thread; returns the server and its base URL (no trailing slash).

    Stop it with ``server.shutdown(); server.server_close()``.
    """
    server = DemoServer((host, port), Path(root))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-http", daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    return server, f"http://{bound_host}:{bound_port}"


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # leave serve_forever through the cleanup below


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the yuqing demo sources on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--root", type=Path, default=SITE)
    parser.add_argument("--pidfile", type=Path)
    args = parser.parse_args(argv)
    server = DemoServer((args.host, args.port), args.root)
    if args.pidfile:
        args.pidfile.parent.mkdir(parents=True, exist_ok=True)
        args.pidfile.write_text(f"{os.getpid()}\n")
    signal.signal(signal.SIGTERM, _stop)
    print(f"serving {args.root} on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.pidfile and args.pidfile.exists():
            args.pidfile.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
