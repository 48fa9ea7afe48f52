"""Polite, bounded HTTP for collectors: conditional GET, timeouts, retries with backoff.

Why our own small loop rather than urllib3's ``Retry``: we need to say exactly what happened
("HTTP 500 after 3 attempts", "timed out after 10 s") in the run record and the health warning,
and to retry only what is worth retrying (connection errors, timeouts, 5xx and 429 — never a
404 or a 304). The backoff base comes from ``YUQING_RETRY_BACKOFF`` (seconds, default 1) so tests
can make it tiny without touching the configuration.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import requests

from yuqing.collection.base import FetchContext, FetchError
from yuqing.config import Source as SourceConfig

__all__ = ["Response", "get", "get_source", "backoff_base", "USER_AGENT", "MAX_BYTES"]

USER_AGENT = "yuqing-collector/0.1 (+government public-opinion monitoring)"
MAX_BYTES = 20 * 1024 * 1024
"""Refuse bodies beyond this: a listing page is never this big, a runaway one must not fill memory."""

_RETRY_STATUS = {429, 500, 502, 503, 504}


def backoff_base() -> float:
    try:
        return max(0.0, float(os.environ.get("YUQING_RETRY_BACKOFF", "1")))
    except ValueError:
        return 1.0


@dataclass
class Response:
    status: int
    body: bytes
    url: str
    content_type: str
    encoding: str | None
    etag: str | None
    last_modified: str | None
    attempts: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _read(resp: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchError(f"response larger than {MAX_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def get(
    url: str,
    *,
    timeout: float,
    retries: int,
    etag: str | None = None,
    last_modified: str | None = None,
    session: requests.Session | None = None,
) -> Response:
    """GET ``url`` with up to ``retries`` retries; returns 200 or 304, raises FetchError otherwise."""
    headers = {"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    http = session or requests.Session()
    attempts = retries + 1
    reason = "not attempted"
    try:
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                time.sleep(backoff_base() * 2 ** (attempt - 2))
            try:
                with http.get(url, headers=headers, timeout=timeout, stream=True, allow_redirects=True) as resp:
                    if resp.status_code in _RETRY_STATUS:
                        reason = f"HTTP {resp.status_code}"
                        continue
                    if resp.status_code not in (200, 304):
                        raise FetchError(f"HTTP {resp.status_code}")
                    body = _read(resp) if resp.status_code == 200 else b""
                    return Response(
                        status=resp.status_code,
                        body=body,
                        url=resp.url,
                        content_type=resp.headers.get("Content-Type", ""),
                        encoding=requests.utils.get_encoding_from_headers(resp.headers)
                        if "charset" in resp.headers.get("Content-Type", "").lower()
                        else None,
                        etag=resp.headers.get("ETag"),
                        last_modified=resp.headers.get("Last-Modified"),
                        attempts=attempt,
                    )
            except requests.Timeout:
                reason = f"timed out after {timeout:g} s"
            except requests.ConnectionError as exc:
                reason = f"connection failed ({type(exc).__name__})"
            except requests.RequestException as exc:
                raise FetchError(f"request failed: {exc}") from None
    finally:
        if session is None:
            http.close()
    raise FetchError(f"{reason} after {attempts} attempt{'s' if attempts > 1 else ''}")


def get_source(source: SourceConfig, ctx: FetchContext) -> Response:
    """GET a source's URL with its timeout, retries and the cursor's validators (ETag, Last-Modified)."""
    assert source.url, f"source {source.id} has no url"
    return get(
        source.url,
        timeout=source.timeout_seconds,
        retries=source.retries,
        etag=ctx.etag,
        last_modified=ctx.last_modified,
    )
