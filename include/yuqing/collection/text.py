"""Scraped text is untrusted: turn it into plain, safe text and safe links before it is stored.

Why: the text ends up in mails, reports and the dashboard. Markup is never kept (so nothing a
source sends can render as HTML later), NUL and other control characters are removed
(PostgreSQL rejects NUL in text), and only http(s) links survive (``javascript:`` and ``data:``
links are dropped, relative links resolved against the page).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

__all__ = ["plain_text", "safe_url", "content_hash", "normalise_for_hash"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_TAGGISH = re.compile(r"<[a-zA-Z/!]")
_BLOCK_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.IGNORECASE)


def plain_text(value: object, *, max_length: int | None = None) -> str:
    """Plain text from a value that may hold HTML or entities; '' for None.

    Paragraph breaks become newlines, runs of spaces collapse, and control characters go.
    """
    if value is None:
        return ""
    s = str(value)
    if _TAGGISH.search(s):
        s = _BLOCK_BREAK.sub("\n", s)
        tree = LexborHTMLParser(f"<div>{s}</div>")
        for node in tree.css("script, style, noscript, iframe, object, embed, form"):
            node.decompose()
        root = tree.body or tree.root
        s = root.text(separator="") if root is not None else ""
    s = html.unescape(s)
    s = _CONTROL.sub("", s).replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    s = re.sub(r"[ \t\xa0]+", " ", s)
    s = re.sub(r" *\n[ \n]*", "\n", s).strip()
    if max_length is not None and len(s) > max_length:
        s = s[: max_length - 1] + "…"
    return s


def safe_url(href: object, base: str | None = None) -> str | None:
    """An absolute http(s) URL, or None for anything else (``javascript:``, ``data:``, ``mailto:``…)."""
    if href is None:
        return None
    s = _CONTROL.sub("", html.unescape(str(href))).strip()
    if not s:
        return None
    absolute = urljoin(base, s) if base else s
    parts = urlsplit(absolute)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def normalise_for_hash(title: str | None, text: str) -> str:
    """Title + text with width, case and whitespace differences removed, for exact-copy detection."""
    joined = f"{title or ''}\n{text}"
    joined = unicodedata.normalize("NFKC", joined).lower()
    return re.sub(r"\s+", "", joined)


def content_hash(title: str | None, text: str) -> str:
    """sha256 of the normalised title + text (the store's ``items.content_hash``)."""
    return hashlib.sha256(normalise_for_hash(title, text).encode("utf-8")).hexdigest()
