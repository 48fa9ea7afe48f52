"""Publication channels behind one interface: 政务微博, 微信公众号 and the portal's 新闻发布 column.

Each adapter speaks the shape of its platform's HTTP API — a token first, then a POST — and can read
back what it published, so publication is verified, not assumed. Addresses and credentials come
from Airflow Connections (see ``yuqing_airflow.channels``); nothing here imports Airflow.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape as xml_escape

import requests

from yuqing.clock import local
from yuqing.templating import render


class ChannelError(RuntimeError):
    """A channel refused or failed a request; the message names the channel and the step."""


@dataclass(frozen=True)
class Receipt:
    external_id: str
    url: str
    detail: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def publish(self, *, ref: str, title: str, text: str, at: datetime) -> Receipt: ...

    def read_back(self, receipt: Receipt) -> str: ...


def _json(resp: requests.Response, what: str) -> dict[str, Any]:
    if resp.status_code >= 400:
        raise ChannelError(f"{what}: HTTP {resp.status_code} {resp.text[:200]}")
    try:
        data = resp.json()
    except ValueError:
        raise ChannelError(f"{what}: not JSON: {resp.text[:200]}") from None
    if isinstance(data, dict) and data.get("errcode") not in (None, 0):
        raise ChannelError(f"{what}: errcode {data.get('errcode')} {data.get('errmsg') or data.get('error')}")
    if isinstance(data, dict) and data.get("error"):
        raise ChannelError(f"{what}: {data.get('error_code')} {data['error']}")
    return data


@dataclass
class WeiboChannel:
    """政务微博: OAuth2 token (client credentials), ``statuses/share`` to post, ``statuses/show`` to read."""

    base_url: str
    app_key: str
    app_secret: str
    timeout: float = 10
    name: str = "weibo"

    def _token(self) -> str:
        r = requests.post(f"{self.base_url}/oauth2/access_token", timeout=self.timeout,
                          data={"client_id": self.app_key, "client_secret": self.app_secret,
                                "grant_type": "client_credentials"})
        return str(_json(r, "weibo token")["access_token"])

    def publish(self, *, ref: str, title: str, text: str, at: datetime) -> Receipt:
        token = self._token()
        r = requests.post(f"{self.base_url}/2/statuses/share.json", timeout=self.timeout,
                          data={"access_token": token, "status": text})
        data = _json(r, "weibo statuses/share")
        sid = str(data.get("idstr") or data["id"])
        return Receipt(sid, str(data.get("url") or f"{self.base_url}/weibo/status/{sid}"),
                       {"id": sid, "created_at": data.get("created_at")})

    def read_back(self, receipt: Receipt) -> str:
        r = requests.get(f"{self.base_url}/2/statuses/show.json", timeout=self.timeout,
                         params={"access_token": self._token(), "id": receipt.external_id})
        return str(_json(r, "weibo statuses/show")["text"])


@dataclass
class WechatChannel:
    """微信公众号: ``cgi-bin/token``, then ``draft/add`` and ``freepublish/submit``; ``freepublish/get*`` to read."""

    base_url: str
    appid: str
    secret: str
    author: str = ""
    timeout: float = 10
    name: str = "wechat"

    def _token(self) -> str:
        r = requests.get(f"{self.base_url}/cgi-bin/token", timeout=self.timeout,
                         params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        return str(_json(r, "wechat token")["access_token"])

    def _post(self, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        r = requests.post(f"{self.base_url}/cgi-bin/{path}", params={"access_token": token}, timeout=self.timeout,
                          data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                          headers={"Content-Type": "application/json; charset=utf-8"})
        return _json(r, f"wechat {path}")

    def publish(self, *, ref: str, title: str, text: str, at: datetime) -> Receipt:
        token = self._token()
        media = self._post("draft/add", token, {"articles": [{"title": title, "author": self.author,
                                                              "digest": text[:54], "content": text}]})
        sub = self._post("freepublish/submit", token, {"media_id": media["media_id"]})
        got = self._post("freepublish/get", token, {"publish_id": sub["publish_id"]})
        if got.get("publish_status") != 0:
            raise ChannelError(f"wechat freepublish/get: publish_status {got.get('publish_status')}")
        url = got["article_detail"]["item"][0]["article_url"]
        return Receipt(str(got["article_id"]), str(url), {"publish_id": sub["publish_id"],
                                                          "media_id": media["media_id"]})

    def read_back(self, receipt: Receipt) -> str:
        got = self._post("freepublish/getarticle", self._token(), {"article_id": receipt.external_id})
        return str(got["news_item"][0]["content"])


@dataclass
class WebsiteChannel:
    """门户网站「新闻发布」栏目: one static HTML page per release, the column index and an RSS feed."""

    publish_dir: Path
    base_url: str
    site_name: str = "新闻发布"
    name: str = "website"

    def _manifest(self) -> list[dict[str, Any]]:
        p = self.publish_dir / "releases.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else []

    def publish(self, *, ref: str, title: str, text: str, at: datetime) -> Receipt:
        releases = self.publish_dir / "releases"
        releases.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_-]", "-", ref)
        page = releases / f"{slug}.html"
        url = f"{self.base_url.rstrip('/')}/releases/{slug}.html"
        page.write_text(render("responses/website_release.html.j2", title=title, text=text,
                               site_name=self.site_name, published=local(at)), encoding="utf-8")
        (releases / f"{slug}.txt").write_bytes(text.encode("utf-8"))
        manifest = [r for r in self._manifest() if r["slug"] != slug]
        manifest.insert(0, {"slug": slug, "title": title, "url": url, "published": at.isoformat(), "text": text})
        (self.publish_dir / "releases.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                                        encoding="utf-8")
        (self.publish_dir / "index.html").write_text(render("responses/website_index.html.j2",
                                                            site_name=self.site_name, releases=manifest),
                                                     encoding="utf-8")
        items = "".join(
            f"<item><title>{xml_escape(r['title'])}</title><link>{xml_escape(r['url'])}</link>"
            f"<guid>{xml_escape(r['url'])}</guid><pubDate>{datetime.fromisoformat(r['published']):%a, %d %b %Y %H:%M:%S %z}"
            f"</pubDate><description>{xml_escape(r['text'])}</description></item>" for r in manifest)
        rss = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{xml_escape(self.site_name)}'
               f"</title><link>{xml_escape(self.base_url)}</link><description>{xml_escape(self.site_name)}</description>"
               f"{items}</channel></rss>\n")
        (self.publish_dir / "rss.xml").write_text(rss, encoding="utf-8")
        return Receipt(slug, url, {"page": str(page)})

    def read_back(self, receipt: Receipt) -> str:
        """The text as the page shows it (unescaped), checked against the RSS item too."""
        page = (self.publish_dir / "releases" / f"{receipt.external_id}.html").read_text(encoding="utf-8")
        m = re.search(r'<pre class="release-text">(.*?)</pre>', page, re.S)
        if not m:
            raise ChannelError(f"website: release {receipt.external_id} has no text block")
        shown = html.unescape(m.group(1))
        import xml.etree.ElementTree as ET

        root = ET.fromstring((self.publish_dir / "rss.xml").read_text(encoding="utf-8"))
        in_feed = [i.findtext("description") for i in root.iter("item") if i.findtext("link") == receipt.url]
        if in_feed != [shown]:
            raise ChannelError(f"website: RSS item for {receipt.url} does not carry the page's text")
        return shown
