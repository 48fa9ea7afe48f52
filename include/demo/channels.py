"""Loopback stand-ins for the publication platforms, for tests and the demo.

- a Weibo-like open API: ``POST /oauth2/access_token`` → token; ``POST /2/statuses/share.json`` to
  post; ``GET /2/statuses/show.json?id=`` to read back; ``GET /weibo/status/<id>`` shows a post;
- a WeChat-official-account-like API: ``GET /cgi-bin/token`` → token; ``POST /cgi-bin/draft/add``,
  ``/cgi-bin/freepublish/submit``, ``/freepublish/get``, ``/freepublish/getarticle``;
  ``GET /wechat/article/<id>`` shows an article;
- ``GET /site/…`` serves the website channel's publish directory (HTML column and RSS feed).

Faults for tests: ``server.fail[platform] = n`` makes the next n posting calls on that platform
answer HTTP 503; ``server.down.add(platform)`` keeps it failing until removed. Posts are kept in
memory (and in ``posts.json`` under ``folder`` if given) so tests can count them: nothing twice.
"""

from __future__ import annotations

import html
import json
import mimetypes
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

WEIBO_KEY, WEIBO_SECRET = "demo_weibo_app", "demo_weibo_secret"
WECHAT_APPID, WECHAT_SECRET = "wxdemo0000000001", "demo_wechat_secret"


class ChannelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], site_dir: Path, folder: Path | None = None):
        super().__init__(addr, _Handler)
        self.site_dir, self.folder = Path(site_dir), folder
        self.lock = threading.Lock()
        self.tokens: dict[str, str] = {}
        self.weibo: list[dict[str, Any]] = []
        self.wechat_drafts: dict[str, dict[str, Any]] = {}
        self.wechat: list[dict[str, Any]] = []
        self.fail: dict[str, int] = {}
        self.down: set[str] = set()
        self.calls: list[str] = []
        saved = folder / "posts.json" if folder else None
        if saved and saved.exists():  # the demo's platforms keep what they published across runs
            data = json.loads(saved.read_text(encoding="utf-8"))
            self.weibo, self.wechat = data.get("weibo", []), data.get("wechat", [])

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def _save(self) -> None:
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "posts.json").write_text(json.dumps({"weibo": self.weibo, "wechat": self.wechat},
                                                               ensure_ascii=False, indent=1), encoding="utf-8")

    def faulty(self, platform: str) -> bool:
        with self.lock:
            if platform in self.down:
                return True
            if self.fail.get(platform, 0) > 0:
                self.fail[platform] -= 1
                return True
        return False

    def connections(self, publish_dir: Path) -> dict[str, str]:
        """AIRFLOW_CONN_* values for the three channels, pointing at this server."""
        return {
            "AIRFLOW_CONN_YUQING_WEIBO": json.dumps({"conn_type": "http", "host": self.base_url,
                                                      "login": WEIBO_KEY, "password": WEIBO_SECRET}),
            "AIRFLOW_CONN_YUQING_WECHAT": json.dumps({"conn_type": "http", "host": self.base_url,
                                                       "login": WECHAT_APPID, "password": WECHAT_SECRET}),
            "AIRFLOW_CONN_YUQING_WEBSITE": json.dumps({"conn_type": "generic", "extra": {
                "path": str(publish_dir), "base_url": f"{self.base_url}/site"}}),
        }


class _Handler(BaseHTTPRequestHandler):
    server: ChannelServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, ctype: str = "application/json; charset=utf-8") -> None:
        data = body if isinstance(body, bytes) else (
            json.dumps(body, ensure_ascii=False).encode("utf-8") if not isinstance(body, str) else body.encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _token_ok(self, token: str | None, platform: str) -> bool:
        return bool(token) and self.server.tokens.get(token or "") == platform

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        s = self.server
        s.calls.append(f"GET {url.path}")
        if url.path == "/cgi-bin/token":
            if q.get("appid") != WECHAT_APPID or q.get("secret") != WECHAT_SECRET:
                return self._send(200, {"errcode": 40013, "errmsg": "invalid appid"})
            token = secrets.token_hex(16)
            s.tokens[token] = "wechat"
            return self._send(200, {"access_token": token, "expires_in": 7200})
        if url.path == "/2/statuses/show.json":
            if not self._token_ok(q.get("access_token"), "weibo"):
                return self._send(401, {"error": "invalid_access_token", "error_code": 21332})
            post = next((p for p in s.weibo if p["idstr"] == q.get("id")), None)
            return self._send(200, post) if post else self._send(404, {"error": "not found", "error_code": 20101})
        if url.path.startswith("/weibo/status/"):
            post = next((p for p in s.weibo if p["idstr"] == url.path.rsplit("/", 1)[-1]), None)
            if post is None:
                return self._send(404, "not found", "text/plain")
            page = f"<!doctype html><meta charset='utf-8'><h1>江城民宗（政务微博）</h1><pre>{html.escape(post['text'])}</pre>"
            return self._send(200, page, "text/html; charset=utf-8")
        if url.path.startswith("/wechat/article/"):
            art = next((a for a in s.wechat if a["article_id"] == url.path.rsplit("/", 1)[-1]), None)
            if art is None:
                return self._send(404, "not found", "text/plain")
            page = (f"<!doctype html><meta charset='utf-8'><h1>{html.escape(art['title'])}</h1>"
                    f"<pre>{html.escape(art['content'])}</pre>")
            return self._send(200, page, "text/html; charset=utf-8")
        if url.path.startswith("/site/") or url.path == "/site":
            rel = unquote(url.path[len("/site/"):]) or "index.html"
            target = (s.site_dir / rel).resolve()
            if s.site_dir.resolve() not in target.parents and target != s.site_dir.resolve() or not target.is_file():
                return self._send(404, "not found", "text/plain")
            ctype = "application/rss+xml; charset=utf-8" if target.suffix == ".xml" else (
                (mimetypes.guess_type(target.name)[0] or "application/octet-stream") + "; charset=utf-8")
            return self._send(200, target.read_bytes(), ctype)
        return self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        s = self.server
        s.calls.append(f"POST {url.path}")
        raw = self._body()
        if url.path == "/oauth2/access_token":
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
            if form.get("client_id") != WEIBO_KEY or form.get("client_secret") != WEIBO_SECRET:
                return self._send(400, {"error": "invalid_client", "error_code": 21324})
            token = secrets.token_hex(16)
            s.tokens[token] = "weibo"
            return self._send(200, {"access_token": token, "expires_in": 3600})
        if url.path == "/2/statuses/share.json":
            if s.faulty("weibo"):
                return self._send(503, {"error": "service unavailable", "error_code": 10001})
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            if not self._token_ok(form.get("access_token"), "weibo"):
                return self._send(401, {"error": "invalid_access_token", "error_code": 21332})
            with s.lock:
                sid = str(4900000000000000 + len(s.weibo) + 1)
                post = {"id": int(sid), "idstr": sid, "text": form.get("status", ""),
                        "url": f"{s.base_url}/weibo/status/{sid}", "created_at": "now"}
                s.weibo.append(post)
                s._save()
            return self._send(200, post)
        if url.path.startswith("/cgi-bin/"):
            if not self._token_ok(q.get("access_token"), "wechat"):
                return self._send(200, {"errcode": 40001, "errmsg": "invalid credential"})
            body = json.loads(raw.decode("utf-8") or "{}")
            action = url.path[len("/cgi-bin/"):]
            if action == "draft/add":
                media_id = secrets.token_hex(8)
                s.wechat_drafts[media_id] = body["articles"][0]
                return self._send(200, {"media_id": media_id})
            if action == "freepublish/submit":
                if s.faulty("wechat"):
                    return self._send(503, {"errcode": -1, "errmsg": "system error"})
                draft = s.wechat_drafts.get(body.get("media_id", ""))
                if draft is None:
                    return self._send(200, {"errcode": 40007, "errmsg": "invalid media_id"})
                with s.lock:
                    n = len(s.wechat) + 1
                    art = {"publish_id": str(2247480000 + n), "article_id": f"art{n:04d}", **draft,
                           "url": f"{s.base_url}/wechat/article/art{n:04d}"}
                    s.wechat.append(art)
                    s._save()
                return self._send(200, {"errcode": 0, "errmsg": "ok", "publish_id": art["publish_id"]})
            if action == "freepublish/get":
                art = next((a for a in s.wechat if a["publish_id"] == str(body.get("publish_id"))), None)
                if art is None:
                    return self._send(200, {"errcode": 48001, "errmsg": "not found"})
                return self._send(200, {"publish_id": art["publish_id"], "publish_status": 0,
                                        "article_id": art["article_id"],
                                        "article_detail": {"count": 1, "item": [{"idx": 1, "article_url": art["url"]}]}})
            if action == "freepublish/getarticle":
                art = next((a for a in s.wechat if a["article_id"] == body.get("article_id")), None)
                if art is None:
                    return self._send(200, {"errcode": 53600, "errmsg": "invalid article_id"})
                return self._send(200, {"news_item": [{"title": art["title"], "content": art["content"],
                                                       "url": art["url"]}]})
        return self._send(404, {"error": "not found"})


def start_channels(site_dir: Path, host: str = "127.0.0.1", port: int = 0,
                   folder: Path | None = None) -> ChannelServer:
    """Start the loopback platforms in a daemon thread. Stop with ``shutdown(); server_close()``."""
    server = ChannelServer((host, port), site_dir, folder)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-channels",
                     daemon=True).start()
    return server
