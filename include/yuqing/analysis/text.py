"""Text normalisation shared by every analysis step.

Why one place: relevance, sentiment, duplicates and events must all see the same text, or an item
that matches in one step is missed in the next (full-width ``ＡＢＣ`` vs ``abc``, zero-width spaces
pasted from WeChat, HTML entities left by a feed). Reposts are reduced to their core here too,
so the duplicate finder compares what was said rather than who forwarded it.
"""

from __future__ import annotations

import html
import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\x00"), None)
_FAST_FOLD = re.compile("[\uff01-\uff5e\u3000\u200b\u200c\u200d\u2060\ufeff\u00ad\x00]")
_FOLD = {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "} | {
    chr(c): "" for c in _ZERO_WIDTH
}


def _fold_char(m: re.Match[str]) -> str:
    return _FOLD[m.group()]


_TAGS = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"\s+")
_URL = re.compile(r"https?://[^\s\u4e00-\u9fff，。！？、；：]+", re.IGNORECASE)
# Weibo repost chains: "我的评论//@张三:他的评论//@李四：原文"
_REPOST_CHAIN = re.compile(r"//\s*@[^:：\s]{1,30}\s*[:：]")
_REPOST_PREFIX = re.compile(
    r"^\s*(?:转发微博|转发|【转】|\[转\]|转载|转自[^\s:：，,。]{0,20}|来源[:：][^\s，,。]{0,20})\s*[:：]?\s*"
)
_TRUNCATED_TAIL = re.compile(r"\s*(?:(?:\.{3}|…+)\s*(?:展开)?全文|展开全文)\s*[>》]?\s*$")
_MAY_PREFIX = re.compile(r"\s*(?:转|【|\[|来源)")
_REPOST_ONLY = re.compile(r"^(?:转发微博|转发|repost|轉發微博)$", re.IGNORECASE)
_NOT_CONTENT = re.compile(r"[\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def normalise(text: str | None) -> str:
    """NFKC (full-width → half-width), no tags/entities/zero-width characters, single spaces.

    Case is folded for Latin letters so ``ABC`` and ``abc`` match; Chinese is untouched. Each step
    runs only when the text needs it (``&`` for entities, ``<`` for tags, a non-NFKC text): most
    posts need none, and this is on every item's path.
    """
    if not text:
        return ""
    s = text
    if "&" in s:
        s = html.unescape(s)
    if "<" in s:
        s = _TAGS.sub(" ", s)
    if not s.isascii():
        # full-width ASCII and zero-width characters are nearly all NFKC has to do for Chinese posts:
        # map those, and run the (slow) full NFKC only on a text that still needs it
        s = _FAST_FOLD.sub(_fold_char, s)
        if not unicodedata.is_normalized("NFKC", s):
            s = unicodedata.normalize("NFKC", s).translate(_ZERO_WIDTH)
    elif "\x00" in s:
        s = s.replace("\x00", "")
    s = s.lower()
    return _SPACES.sub(" ", s).strip()


def repost_core(normalised: str) -> str:
    """What a repost actually carries: the longest part of a ``//@用户:`` chain, prefixes removed.

    ``转发微博//@张三:清风寺门口发生冲突`` → ``清风寺门口发生冲突``; a plain post is returned as is
    (minus a leading ``转自…``/``【转】`` and a trailing ``…全文`` of a cut-off post). A bare ``转发微博`` with nothing else yields ``""``.
    """
    s = normalised
    if s[-1:] in "文…." and s:
        s = _TRUNCATED_TAIL.sub("", s)
    if "//" not in s and not _MAY_PREFIX.match(s):  # the common case: a plain post
        return "" if _REPOST_ONLY.match(s) else s.strip()
    parts = [_REPOST_PREFIX.sub("", p).strip() for p in _REPOST_CHAIN.split(s)]
    parts = [p for p in parts if p and not _REPOST_ONLY.match(p)]
    if not parts:
        return ""
    return max(parts, key=len)


def content_chars(text: str) -> str:
    """Only letters and digits: punctuation, spaces and URLs do not make two texts different."""
    return _NOT_CONTENT.sub("", _URL.sub("", text) if "http" in text else text)


def first_sentence(text: str, limit: int = 60) -> str:
    """A short title for an item that has none: its first sentence, cut at ``limit`` characters."""
    for sentence in _SENTENCE_END.split(text.strip()):
        sentence = sentence.strip()
        if sentence:
            return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
    return ""
