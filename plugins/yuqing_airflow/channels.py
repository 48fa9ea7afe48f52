"""The publication channels built from Airflow Connections (secrets stay in Airflow).

- ``yuqing_weibo``: ``{"conn_type": "http", "host": "<api base URL>", "login": <app key>, "password": <app secret>}``
- ``yuqing_wechat``: ``{"conn_type": "http", "host": "<api base URL>", "login": <appid>, "password": <secret>}``
- ``yuqing_website``: ``{"conn_type": "generic", "extra": {"path": "<publish dir>", "base_url": "<public URL>"}}``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def channels_from_connections(config: Any) -> dict[str, Any]:
    from airflow.sdk import BaseHook

    from yuqing.response.channels import WebsiteChannel, WechatChannel, WeiboChannel

    ids = config.cases.channels
    out: dict[str, Any] = {}
    for name in ids.order:
        conn = BaseHook.get_connection({"weibo": ids.weibo_conn_id, "wechat": ids.wechat_conn_id,
                                        "website": ids.website_conn_id}[name])
        base = (conn.host or "").rstrip("/")
        if conn.port and base and f":{conn.port}" not in base:
            base = f"{base}:{conn.port}"
        if base and "://" not in base:
            base = f"http://{base}"
        if name == "weibo":
            out[name] = WeiboChannel(base, conn.login or "", conn.password or "")
        elif name == "wechat":
            out[name] = WechatChannel(base, conn.login or "", conn.password or "", author=config.organisation.short_name)
        else:
            extra = conn.extra_dejson
            path = Path(extra.get("path") or config.resolve_path(config.cases.publish_dir))
            out[name] = WebsiteChannel(path, extra.get("base_url") or path.as_uri())
    return out
