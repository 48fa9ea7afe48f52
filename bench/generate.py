"""Synthetic but realistic 舆情 items for the benchmark: templated Chinese posts, notices,
complaints and reposts over the demo lexicon, deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

PLACES = ["东湖区", "西山区", "南岸区", "北塘县", "青石镇", "白沙乡"]
VENUES = ["清风寺", "慈云寺", "东关清真寺", "玉皇观", "福音堂"]
TEMPLATES = [
    "{place}{venue}最近{topic}，有网友反映{complaint}，希望市民宗局尽快处理。",
    "转发微博：{place}{venue}{topic}，现场有人{complaint}，大家怎么看？",
    "江城市民族宗教事务局发布通知：关于{venue}{notice}的公告，请广大信众知悉。",
    "点赞！市民宗局工作人员在{place}{praise}，真是为民办实事。",
    "{place}有人私设聚会点搞非法传教，{complaint}，打12345热线也没人管。",
    "今天{place}天气不错，和朋友去{other}，拍了很多照片。",
    "招聘启事：{place}某公司招聘销售，待遇优厚，欢迎联系。",
]
TOPICS = ["收取高额门票", "香火钱乱收费", "燃放鞭炮扰民", "停车难问题突出", "消防安全隐患", "发生争执"]
COMPLAINTS = ["态度差", "打人", "推诿扯皮", "电话打不通", "拖延不办", "聚集围观"]
NOTICES = ["宗教活动场所消防安全检查", "宗教事务条例政策解读", "开放时间调整", "年度检查结果"]
PRAISE = ["耐心解答群众咨询", "上门走访少数民族困难家庭", "高效办结群众诉求"]
OTHER = ["公园散步", "看电影", "吃火锅"]
CHANNELS = ["weibo", "forum", "news", "portal", "wenzheng", "hotline", "news_comment", "wechat"]


def items(n: int, seed: int = 7, start: datetime | None = None) -> Iterator[dict[str, Any]]:
    """n records in the ``yuqing analyze`` input format."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 24, tzinfo=UTC)
    previous: list[str] = []
    for i in range(n):
        if previous and rng.random() < 0.15:  # a repost of something seen
            text = rng.choice(["转发微博：", "//@江城网友:", "转自江城论坛："]) + rng.choice(previous)[: rng.randint(20, 80)]
        else:
            text = rng.choice(TEMPLATES).format(
                place=rng.choice(PLACES), venue=rng.choice(VENUES), topic=rng.choice(TOPICS),
                complaint=rng.choice(COMPLAINTS), notice=rng.choice(NOTICES), praise=rng.choice(PRAISE),
                other=rng.choice(OTHER),
            ) + f"（编号{i}）"
            previous = (previous + [text])[-50:]
        yield {
            "id": f"b{i}",
            "title": text[:24],
            "text": text,
            "source": f"bench_{i % 8}",
            "source_type": CHANNELS[i % len(CHANNELS)],
            "url": f"http://127.0.0.1/bench/{i}",
            "published_at": (start + timedelta(seconds=30 * i)).isoformat(),
            "engagement": {"comments": rng.randint(0, 200), "reposts": rng.randint(0, 300),
                           "likes": rng.randint(0, 500), "views": rng.randint(0, 20000)},
        }
