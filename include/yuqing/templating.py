"""The one Jinja2 environment for everything people read: reports, notifications, drafts.

Why one environment: escaping is decided here, once. Scraped text is untrusted, so every HTML
template (``.html``, ``.j2``) is autoescaped and undefined names fail loudly (StrictUndefined)
instead of rendering an empty hole in a report sent to a leader. Plain-text and markdown templates
(``.txt``, ``.md``) are not HTML-escaped; the code that renders them passes values that are
already neutralised (see ``plain`` and ``neutralise_markdown``).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from yuqing.clock import fmt_local
from yuqing.config import CHANNEL_NAMES, LEVELS
from yuqing.masking import mask_pii
from yuqing.paths import templates_dir

LEVEL_COLOURS: dict[str, str] = {
    "特别重大": "#c62828",  # I 红
    "重大": "#ef6c00",  # II 橙
    "较大": "#f9a825",  # III 黄
    "一般": "#1565c0",  # IV 蓝
}
LEVEL_INK: dict[str, str] = {"较大": "#222"}
"""Text colour on a level badge: dark on yellow, white elsewhere, so the badge stays legible."""
LEVEL_COLOUR_NAMES: dict[str, str] = {"特别重大": "红色", "重大": "橙色", "较大": "黄色", "一般": "蓝色"}

SENTIMENT_NAMES: dict[str, str] = {"negative": "负面", "neutral": "中性", "positive": "正面"}
HEALTH_NAMES: dict[str, str] = {"ok": "正常", "failing": "失败", "silent": "沉默", "unknown": "未知"}

FACTOR_NAMES: dict[str, str] = {
    "content": "舆情内容",
    "reaction": "公众反应",
    "media": "媒体介入程度",
    "reach": "传播范围",
    "velocity": "增长速度",
    "heat": "热度",
    "score": "综合评分",
    "categories": "涉及类别",
    "matched_terms": "命中词",
    "negative_share": "负面占比",
    "item_count": "信息条数",
    "items_last_hour": "近一小时条数",
    "hourly_baseline": "此前每小时条数",
    "engagement_total": "互动量",
    "engagement": "互动量",
    "agency_mentioned": "直接涉及本机关",
    "rumour_cue": "含谣言线索",
    "concern": "关切度（负面或谣言）",
    "gate": "定级限制",
    "outlets": "介入媒体",
    "central_media": "中央媒体介入",
    "sources": "来源",
    "channels": "渠道",
    "comments": "评论数",
    "reposts": "转发数",
    "likes": "点赞数",
    "views": "阅读数",
    "official": "官方媒体",
    "central": "中央媒体",
    "mainstream": "主流媒体",
    "other_news": "其他新闻媒体",
    "level": "等级",
    "response_value": "回应价值",
    "response_reason": "回应理由",
}
HIDDEN_DETAIL = frozenset(
    {"parts", "max_category_weight", "source_reach", "thresholds", "graded_at", "label", "name"}
)
"""Explanation keys that are internal to the scoring and would only puzzle a reader."""


def beijing(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the office reads it (Asia/Shanghai); ``—`` when unknown."""
    return fmt_local(value, pattern)


def level_colour(level: str | None) -> str:
    return LEVEL_COLOURS.get(level or "", "#616161")


def level_ink(level: str | None) -> str:
    return LEVEL_INK.get(level or "", "#fff")


def channel_name(channel: str | None) -> str:
    return CHANNEL_NAMES.get(channel or "", channel or "未知渠道")


def sentiment_name(sentiment: str | None) -> str:
    return SENTIMENT_NAMES.get(sentiment or "", "未分析")


def health_name(health: str | None) -> str:
    return HEALTH_NAMES.get(health or "", health or "未知")


def safe_url(url: str | None) -> str:
    """The URL if it is http(s), else ``""``: autoescaping does not stop ``javascript:`` links."""
    if not url:
        return ""
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https"):
        return ""
    # characters that could end a markdown link or break out of an attribute are percent-encoded
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def plain(text: Any, limit: int | None = None) -> str:
    """Untrusted text for one line of plain text: PII masked, whitespace collapsed, truncated."""
    s = mask_pii(re.sub(r"\s+", " ", str(text or "")).strip())
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


_MD_SPECIAL = str.maketrans(
    {
        "<": "＜",
        ">": "＞",
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "|": "｜",
        "~": "～",
        "!": "！",
        "\\": "＼",
        "&": "＆",
        "{": "｛",
        "}": "｝",
    }
)


def neutralise_markdown(text: Any, limit: int | None = None) -> str:
    """Untrusted text made inert inside robot markdown: markup characters become full-width look-alikes.

    Full-width forms read naturally in Chinese text and no markdown or HTML parser treats them as
    syntax; newlines are collapsed so a scraped title cannot start a heading or a quote.
    """
    return plain(text, limit).translate(_MD_SPECIAL)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


VALUE_NAMES: dict[str, str] = {"local": "本地", "provincial": "省级", "national": "全国"}


def _factor_value(value: Any, key: str = "") -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if key.endswith("share"):
            return percent(value)
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        names = [channel_name(v) if key == "channels" else _factor_value(v) for v in value]
        return "、".join(names) or "无"
    if isinstance(value, dict):
        if key == "outlets":  # {outlet name: media kind}
            return "、".join(f"{n}（{FACTOR_NAMES.get(str(k), str(k))}）" for n, k in value.items()) or "无"
        return "；".join(
            f"{FACTOR_NAMES.get(str(k), str(k))}：{_factor_value(v, str(k))}"
            for k, v in value.items()
            if k not in HIDDEN_DETAIL
        )
    return "—" if value is None else VALUE_NAMES.get(str(value), str(value))


def _graded_factor(factor: dict[str, Any]) -> tuple[str, str]:
    """One factor as the analysis stores it: name/label, value 0..1, weight, contribution, detail."""
    label = factor.get("label") or FACTOR_NAMES.get(str(factor.get("name")), str(factor.get("name", "")))
    parts = []
    if isinstance(factor.get("value"), int | float):
        parts.append(f"{factor['value']:.2f}")
        if isinstance(factor.get("weight"), int | float) and isinstance(
            factor.get("contribution"), int | float
        ):
            parts[-1] += f" × 权重 {factor['weight']:g} = {factor['contribution']:g} 分"
    detail = factor.get("detail")
    if isinstance(detail, dict) and (text := _factor_value(detail)):
        parts.append(text)
    return str(label), "；".join(parts) or "—"


def explanation_factors(explanation: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The grading explanation (C2a 研判标准) as (factor in Chinese, value) rows for people.

    The analysis stores ``{"factors": [{"name", "label", "value", "weight", "contribution",
    "detail"}, …], "score", "level", "response_value", "response_reason", …}``; each factor
    becomes one row with its contribution and its evidence (categories, volume, outlets, channels).
    Other shapes — a mapping of factor → value — stay readable too, and unknown keys keep their name.
    """
    if not explanation:
        return []
    rows: list[tuple[str, str]] = []
    factors = explanation.get("factors")
    if isinstance(factors, list):
        rows += [_graded_factor(f) for f in factors if isinstance(f, dict)]
    elif isinstance(factors, dict):
        rows += [(FACTOR_NAMES.get(str(k), str(k)), _factor_value(v, str(k))) for k, v in factors.items()]
    for key, value in explanation.items():
        if key == "factors" or key in HIDDEN_DETAIL or key in ("level", "heat", "response_value") or value is None:
            continue
        if key == "score" and isinstance(value, int | float):
            level = explanation.get("level")
            rows.append(("综合评分", f"{value:g}" + (f"（{level}）" if level else "")))
        elif key == "response_reason":
            verdict = explanation.get("response_value")
            rows.append(("回应价值", f"{verdict}：{value}" if verdict else str(value)))
        else:
            rows.append((FACTOR_NAMES.get(str(key), str(key)), _factor_value(value, str(key))))
    return rows


@lru_cache(maxsize=4)
def _environment(directory: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"),
            disabled_extensions=("txt", "md"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        beijing=beijing,
        level_colour=level_colour,
        level_ink=level_ink,
        channel_name=channel_name,
        sentiment_name=sentiment_name,
        health_name=health_name,
        safe_url=safe_url,
        mask=mask_pii,
        plain=plain,
        md=neutralise_markdown,
        percent=percent,
        factors=explanation_factors,
    )
    env.globals.update(LEVELS=LEVELS, LEVEL_COLOURS=LEVEL_COLOURS, CHANNEL_NAMES=CHANNEL_NAMES)
    return env


def environment(directory: Path | None = None) -> Environment:
    """The shared environment, loading from ``paths.templates_dir()`` unless told otherwise."""
    return _environment(str(directory or templates_dir()))


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
