"""Personal data quoted in reports and warnings is masked (phones, ID cards, plate numbers)."""

from __future__ import annotations

import pytest

from yuqing.masking import mask_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("来电人电话13800000001，请回电", "来电人电话138****0001，请回电"),  # mobile
        ("电话 138-0000-0001 联系", "电话 138****0001 联系"),  # grouped with hyphens
        ("+86 139 1234 5678", "+86 139****5678"),  # country code, spaces
        ("身份证130102199001011234号", "身份证130102********1234号"),  # 18-digit ID card
        ("证件13010219900101123X", "证件130102********123X"),  # check digit X
        ("车牌冀E12345停在门口", "车牌冀E***45停在门口"),  # plate
        ("粤B·D12345新能源", "粤B***45新能源"),  # new-energy plate with separator
        ("办公室电话0319-1234567", "办公室电话0319-****4567"),  # landline with area code
        ("拨打12345热线反映", "拨打12345热线反映"),  # hotline number is not personal
        ("订单2024112012345678901号", "订单2024112012345678901号"),  # 21 digits: neither ID nor phone
        ("门票138元", "门票138元"),
    ],
)
def test_mask_pii(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


def test_mask_pii_accepts_none() -> None:
    assert mask_pii(None) == ""
