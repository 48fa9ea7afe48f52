"""Loopback receivers for what yuqing sends: a real SMTP server and a robot-webhook endpoint.

The demo and the tests use them so warnings travel through Airflow's real notifiers over real
sockets, and what arrived can be read back and asserted on.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MailSink:
    """An SMTP server on 127.0.0.1 that keeps every message (and writes .eml files if asked)."""

    port: int = 0
    folder: Path | None = None
    messages: list[EmailMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                sink.messages.append(msg)  # type: ignore[arg-type]
                if sink.folder is not None:
                    sink.folder.mkdir(parents=True, exist_ok=True)
                    (sink.folder / f"{len(sink.messages):04d}.eml").write_bytes(envelope.content)
                return "250 Message accepted for delivery"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def connection_json(self, from_email: str = "yuqing@mzj.jiangcheng.example.gov.cn") -> str:
        """The Airflow Connection (JSON form: booleans stay booleans) pointing at this server."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {"disable_ssl": True, "disable_tls": True, "from_email": from_email,
                          "retry_limit": 0, "timeout": 5},
            }
        )


@dataclass
class WebhookSink:
    """An HTTP server on 127.0.0.1 that accepts robot-style JSON POSTs and keeps them."""

    port: int = 0
    folder: Path | None = None
    fail_with: int | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    def start(self) -> WebhookSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if sink.fail_with:
                    self.send_response(sink.fail_with)
                    self.end_headers()
                    return
                payload = json.loads(body.decode("utf-8"))
                sink.received.append({"path": self.path, "json": payload})
                if sink.folder is not None:
                    sink.folder.mkdir(parents=True, exist_ok=True)
                    out = sink.folder / f"{len(sink.received):04d}.json"
                    out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
                reply = b'{"errcode": 0, "errmsg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def connection_json(self) -> str:
        return json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": self.port, "schema": "http"})
