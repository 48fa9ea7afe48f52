"""Exact and near duplicates: reposts, prefixes, truncation — and a template hard negative."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from yuqing.analysis.dedup import DuplicateFinder, fingerprint
from yuqing.analysis.text import normalise

ORIGINAL = "江城市东关清真寺门口今天上午发生冲突，有商贩与香客争执，多人围观，警方已到场处置。"
ENTITIES = ("东关清真寺", "慈云寺", "清风寺")
NOTICE = "关于清风寺2024年第3批宗教教职人员备案情况的公示：经审核，张明等3人符合备案条件，现予公示，公示期5个工作日。"


def _finder(*texts: str) -> DuplicateFinder:
    finder = DuplicateFinder()
    for i, text in enumerate(texts, start=1):
        finder.add(fingerprint(i, normalise(text), ENTITIES))
    return finder


def _check(finder: DuplicateFinder, text: str) -> object:
    return finder.check(fingerprint("new", normalise(text), ENTITIES))


@pytest.mark.parametrize(
    "copy",
    [
        ORIGINAL,
        "转发微博//@张三:" + ORIGINAL,
        "太吓人了，大家小心//@李四：" + ORIGINAL,
        "转自江城论坛：" + ORIGINAL,
        ORIGINAL[:32],  # truncated repost
        ORIGINAL.replace("，", " ").replace("。", "！"),  # punctuation changed
        "【转】" + ORIGINAL + " 大家注意安全",  # comment appended
        "ＡＢＣ" + ORIGINAL.replace("江城市", "江城市 "),  # width and spacing
    ],
)
def test_repost_with_prefix_or_truncation_is_duplicate_of_original(copy: str) -> None:
    assert _check(_finder(ORIGINAL), copy) == 1


def test_two_notices_from_the_same_template_are_not_duplicates() -> None:
    other = NOTICE.replace("清风寺", "慈云寺").replace("第3批", "第4批").replace("张明等3人", "李强等5人")
    assert _check(_finder(NOTICE), other) is None


def test_same_story_with_new_facts_is_not_a_duplicate() -> None:
    update = ORIGINAL.replace("多人围观", "8人受伤送医")
    assert _check(_finder(ORIGINAL), update) is None


def test_different_posts_are_not_duplicates() -> None:
    assert _check(_finder(ORIGINAL), "慈云寺周六上午举办法会，届时将实行交通管制，请市民绕行。") is None


def test_bare_repost_without_text_is_not_matched() -> None:
    assert _check(_finder(ORIGINAL), "转发微博") is None


def test_duplicate_points_to_the_first_original_not_a_chain() -> None:
    finder = _finder(ORIGINAL)
    assert _check(finder, "转发微博//@张三:" + ORIGINAL) == 1
    assert len(finder) == 1  # the repost was not indexed as a new original


def test_fingerprints_are_stable_across_processes() -> None:
    """MinHash uses fixed seeds and code-point hashing, never Python's salted hash(): another process agrees."""
    here = fingerprint(1, normalise(ORIGINAL)).signature.tolist()
    code = (
        "from yuqing.analysis.dedup import fingerprint; from yuqing.analysis.text import normalise; "
        f"print(fingerprint(1, normalise({ORIGINAL!r})).signature.tolist())"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == str(here)


def test_window_drops_old_originals_and_capacity_bounds_the_index() -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    finder = DuplicateFinder(window=timedelta(hours=72), capacity=3)
    finder.add(fingerprint(1, normalise(ORIGINAL), ENTITIES, t0))
    copy = fingerprint("c", normalise("转发微博//@甲:" + ORIGINAL), ENTITIES, t0 + timedelta(hours=1))
    assert finder.check(copy) == 1
    finder.add(fingerprint(2, normalise(NOTICE), ENTITIES, t0 + timedelta(hours=73)))
    assert 1 not in finder and finder.check(copy) is None  # older than the window: news again
    for i in range(3, 9):
        finder.add(fingerprint(i, normalise(f"第{i}条不同的帖子，内容各不相同，编号{i}。" * 2), ENTITIES, t0 + timedelta(hours=74)))
    assert len(finder) == 3
    assert all(len(bucket) <= 3 for band in finder._bands for bucket in band.values())
