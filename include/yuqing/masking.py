"""Masking of personal data in text people read (舆情日志, warnings).

Why: hotline records and posts carry callers' phone numbers, ID-card numbers and plate numbers.
Reports and robot messages travel further than the store (mail servers, a third-party IM robot),
so what they quote is masked; the full text stays in the store for the people who handle the case.
"""

from __future__ import annotations

import re

# 18-digit resident ID card (GB 11643): 6-digit area, 8-digit birth date, 3-digit order, check digit.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
# Mainland mobile numbers, optionally +86 / 86-prefixed and grouped 3-4-4 by spaces or hyphens.
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[\s-]?)?1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
# Landlines written with an area code: 0319-1234567, (0319)12345678, 010 87654321.
_LANDLINE = re.compile(r"(?<!\d)(\(?0\d{2,3}\)?[\s-]?)\d{3,4}(\d{4})(?!\d)")
# Plate numbers: province abbreviation, issuing-office letter, 5 (6 for new-energy) letters/digits.
_PLATE = re.compile(
    r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z])[·•\s-]?"
    r"([A-HJ-NP-Z0-9]{3,4})([A-HJ-NP-Z0-9挂学警港澳]{2})(?![A-Za-z0-9])"
)


def mask_pii(text: str | None) -> str:
    """Mask phones, ID-card and plate numbers: ``13800000001`` → ``138****0001``.

    ID cards keep the area and the last four (the birth date is the sensitive part); phones keep
    the prefix and the last four, so a handler can still tell two callers apart; plates keep the
    province and the last two.
    """
    if not text:
        return ""
    text = _ID_CARD.sub(lambda m: f"{m[1]}********{m[2]}", text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    text = _LANDLINE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    text = _PLATE.sub(lambda m: f"{m[1]}***{m[3]}", text)
    return text
