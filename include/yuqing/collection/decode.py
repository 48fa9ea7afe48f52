"""Bytes to text for pages, JSON and hotline files: the declared charset, else detection.

Why: Chinese sources still send GBK/GB18030 next to UTF-8, often without saying which. Reading
GBK as UTF-8 (or the reverse) turns every title into mojibake that then looks like real text,
so a declared charset is tried strictly first and charset-normalizer decides otherwise.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["DecodeError", "decode_bytes", "declared_charset"]

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_XML = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}


class DecodeError(ValueError):
    pass


def _codec(name: str) -> str | None:
    name = _WIDER.get(name.lower(), name.lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(body: bytes, header_charset: str | None = None) -> str | None:
    """The charset the response says it uses: BOM, then HTTP header, then XML/HTML declaration."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if header_charset:
        return _codec(header_charset)
    head = body[:2048]
    m = _XML.search(head) or _META.search(head)
    return _codec(m.group(1).decode("ascii")) if m else None


def decode_bytes(body: bytes, header_charset: str | None = None, *, what: str = "body") -> str:
    """Decode strictly with the declared charset, else detect; raise DecodeError saying where it broke."""
    declared = declared_charset(body, header_charset)
    if declared:
        try:
            return body.decode(declared)
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{what} is not valid {declared} at byte {exc.start} of {len(body)} (truncated or mislabelled)"
            ) from None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(body).best()
    if best is None or best.encoding is None:
        raise DecodeError(f"{what}: could not detect its character encoding")
    enc = _WIDER.get(best.encoding, best.encoding)
    try:
        return body.decode(enc)
    except (UnicodeDecodeError, LookupError):
        raise DecodeError(f"{what}: detected {best.encoding} but it does not decode cleanly") from None
