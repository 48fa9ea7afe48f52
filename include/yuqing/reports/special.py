"""舆情专报 (C2c): the special report on one event at 较大 or above, or upgraded.

Sections: 事件概况, 发展脉络 (timeline), 传播渠道, 情感走势 (chart), 重点信息 (key posts),
研判意见 (the grading's own explanation) and 处置建议. No claim without a record: every statement
about what was said or when carries the ids of the stored items it rests on, and the appendix
lists them with their source, time and link. The store is read with a few grouped queries, and
the tables are bounded (top posts, first item per channel), so an event with 10,000 items renders
as fast as one with ten.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.clock import local
from yuqing.config import Config
from yuqing.early_warning import level_rank
from yuqing.models import Event, EventLevelChange, Item, Source, utcnow
from yuqing.reports.document import Chart, Paragraph, Ref, ReportDocument, Section, Table
from yuqing.templating import SENTIMENT_NAMES, beijing, channel_name, explanation_factors, plain

KEY_POSTS = 10
REFS_PER_STATEMENT = 5
TRIGGER_FROM = "较大"

HANDLING: dict[str, list[str]] = {
    "一般": ["由责任科室持续关注，做好信息收集和研判，必要时按程序回应。"],
    "较大": [
        "由分管领导牵头，责任科室 24 小时内核实情况，形成处置意见报分管领导审批。",
        "按“谁主管谁负责”原则明确第一责任人和直接责任人，建立台账跟踪办理。",
        "根据研判结果适时发布权威信息，回应群众关切，防止事态扩大。",
    ],
    "重大": [
        "立即报告主要负责同志，启动重大舆情应急处置程序，成立工作专班。",
        "会同属地及公安、网信等部门核实情况，依法依规处置，注意民族宗教政策界限。",
        "在 24 小时内通过官方渠道发布权威信息（先微博、后微信和门户网站），及时回应社会关切。",
        "每日报送事态进展，直至舆情平息，并做好回访和总结。",
    ],
    "特别重大": [
        "立即报告主要负责同志并同时报告上级主管部门，启动特别重大舆情应急预案。",
        "主要负责同志亲自部署，统筹协调相关部门联动处置，全程跟踪研判。",
        "第一时间发布权威信息，主动设置议题，持续发布处置进展。",
        "实行日报告、零报告制度，直至舆情平息。",
    ],
}


def _ref(item: Item, source_name: str) -> Ref:
    return Ref(item_id=item.id, source=source_name, time=beijing(item.published_at or item.collected_at),
               title=plain(item.title or item.text, 80), url=item.url or "")


def _when(item: Item) -> datetime:
    return item.published_at or item.collected_at


def _engagement(item: Item) -> int:
    e = item.engagement or {}
    return int(sum(v for k, v in e.items() if k in ("comments", "reposts", "likes") and isinstance(v, (int, float))))


def build_special_report(session: Session, config: Config, event_id: int, *, now: datetime | None = None,
                         reason: str = "") -> ReportDocument:
    """The 专报 of one event as a document; raises LookupError for an unknown event."""
    now = now or utcnow()
    event = session.get(Event, event_id)
    if event is None:
        raise LookupError(f"event {event_id} does not exist")
    rows = session.execute(
        select(Item, Source.name).join(Source, Source.id == Item.source_id).where(Item.event_id == event_id)
    ).all()
    items = sorted(((it, name) for it, name in rows), key=lambda r: (_when(r[0]), r[0].id))
    refs = {it.id: _ref(it, name) for it, name in items}
    cited: dict[int, Ref] = {}

    def cite(ids: list[int]) -> tuple[tuple[Ref, ...], int]:
        chosen = [refs[i] for i in ids[:REFS_PER_STATEMENT]]
        for r in chosen:
            cited[r.item_id] = r
        return tuple(chosen), max(0, len(ids) - REFS_PER_STATEMENT)

    total = len(items)
    as_of = max([event.last_seen_at] + [_when(items[-1][0])] if items else [event.last_seen_at])
    channels: dict[str, list[int]] = defaultdict(list)
    sentiments: Counter[str] = Counter()
    for it, _ in items:
        channels[it.channel].append(it.id)
        sentiments[it.sentiment or "unknown"] += 1
    negative_ids = [it.id for it, _ in items if it.sentiment == "negative"]
    by_engagement = sorted(items, key=lambda r: (-_engagement(r[0]), r[0].id))

    sections: list[Section] = []
    # 一、事件概况
    overview: list = []
    if total:
        rep = event.representative_item_id if event.representative_item_id in refs else by_engagement[0][0].id
        r, more = cite([rep] + [i for i in refs if i != rep])
        overview.append(Paragraph(
            f"{beijing(event.first_seen_at)}起，网上出现关于“{plain(event.title, 80)}”的信息。截至{beijing(as_of)}，"
            f"共监测到相关信息 {total} 条，涉及 {len(channels)} 个渠道，目前研判等级为{event.level}。", r, more))
        neg_share = len(negative_ids) / total
        r, more = cite(negative_ids)
        overview.append(Paragraph(
            f"其中负面信息 {len(negative_ids)} 条，占 {neg_share:.0%}。" if negative_ids else "暂未发现负面信息。", r, more))
    else:
        overview.append(Paragraph("该事件暂无关联的已存储信息，以下研判仅依据分级记录，待补充信息后更新本专报。", style="notice"))
    if reason:
        overview.append(Paragraph(f"编报原因：{reason}。"))
    sections.append(Section("一、事件概况", tuple(overview)))

    # 二、发展脉络
    timeline: list[tuple[str, str, str]] = []
    if items:
        first, first_src = items[0]
        timeline.append((beijing(_when(first)), f"首条信息出现于{first_src}（{channel_name(first.channel)}）", f"#{first.id}"))
        cited.setdefault(first.id, refs[first.id])
        by_id = {x.id: x for x, _ in items}
        for ch, ids in channels.items():
            if ids[0] != first.id:
                it = by_id[ids[0]]
                cited.setdefault(it.id, refs[it.id])
                timeline.append((beijing(_when(it)), f"{channel_name(ch)}出现相关信息", f"#{it.id}"))
    changes = session.scalars(
        select(EventLevelChange).where(EventLevelChange.event_id == event_id).order_by(EventLevelChange.changed_at)
    ).all()
    for c in changes:
        what = f"研判等级定为{c.to_level}" if c.from_level is None else f"研判等级由{c.from_level}调整为{c.to_level}"
        timeline.append((beijing(c.changed_at), what + f"（评分 {c.score:.1f}）", "分级记录"))
    if items:
        last = items[-1][0]
        timeline.append((beijing(_when(last)), "最新一条相关信息", f"#{last.id}"))
        cited.setdefault(last.id, refs[last.id])
    timeline.sort(key=lambda t: t[0])
    sections.append(Section("二、发展脉络", (Table(("时间", "节点", "依据"), tuple(timeline), empty="暂无时间线记录。"),)))

    # 三、传播渠道
    ch_rows = sorted(channels.items(), key=lambda kv: -len(kv[1]))
    ch_blocks: list = [Chart("barh", "各渠道信息条数", tuple(channel_name(c) for c, _ in ch_rows),
                             (("条数", tuple(float(len(ids)) for _, ids in ch_rows)),), name="channels")]
    ch_blocks.append(Table(("渠道", "条数", "占比", "首条"), tuple(
        (channel_name(c), str(len(ids)), f"{len(ids) / total:.0%}", f"#{ids[0]}") for c, ids in ch_rows), numeric=(1, 2),
        empty="暂无各渠道信息。"))
    for _, ids in ch_rows:
        cited.setdefault(ids[0], refs[ids[0]])
    sections.append(Section("三、传播渠道", tuple(ch_blocks)))

    # 四、情感走势
    if items:
        span = _when(items[-1][0]) - _when(items[0][0])
        hourly = span <= timedelta(hours=72)
        fmt = "%m-%d %H时" if hourly else "%m-%d"
        buckets: dict[str, Counter[str]] = {}
        for it, _ in items:
            t = local(_when(it))
            key = t.strftime(fmt)
            buckets.setdefault(key, Counter())[it.sentiment or "neutral"] += 1
        labels = tuple(buckets)
        series = tuple((name, tuple(float(buckets[k][s]) for k in labels)) for s, name in SENTIMENT_NAMES.items())
    else:
        labels, series = (), tuple((name, ()) for name in SENTIMENT_NAMES.values())
    trend = [Chart("line", "情感走势（按" + ("小时" if items and hourly else "日") + "）", labels, series, "条数", name="sentiment")]
    trend.append(Paragraph("情感分布：" + "，".join(
        f"{name} {sentiments.get(s, 0)} 条" for s, name in SENTIMENT_NAMES.items()) + "。" if total else "暂无信息，无法分析情感走势。"))
    sections.append(Section("四、情感走势", tuple(trend)))

    # 五、重点信息
    key_rows = []
    for it, name in by_engagement[:KEY_POSTS]:
        cited.setdefault(it.id, refs[it.id])
        key_rows.append((f"#{it.id}", name, beijing(_when(it)), plain(it.title or it.text, 60),
                         SENTIMENT_NAMES.get(it.sentiment or "", "未分析"), str(_engagement(it))))
    sections.append(Section("五、重点信息", (Table(("编号", "来源", "时间", "内容", "倾向", "互动量"), tuple(key_rows),
                                              note=f"按互动量列出前 {KEY_POSTS} 条，共 {total} 条。" if total > KEY_POSTS else "",
                                              empty="暂无重点信息。", numeric=(5,)),)))

    # 六、研判意见
    factors = explanation_factors(event.explanation)
    assess: list = [Paragraph(f"综合评分 {event.score:.1f}，研判为{event.level}舆情"
                              + (f"，回应价值：{event.response_value}" if event.response_value else "") + "。",
                              *cite(negative_ids or list(refs)))]
    assess.append(Table(("研判因素", "取值"), tuple((k, plain(v, 200)) for k, v in factors), empty="暂无研判因素记录。"))
    from yuqing.verification.report import special_report_blocks  # C1 核实衔接: 核实情况

    assess.extend(special_report_blocks(session, event_id))
    sections.append(Section("六、研判意见", tuple(assess)))

    # 七、处置建议
    advice = HANDLING.get(event.level, HANDLING["较大"])
    sections.append(Section("七、处置建议", tuple(Paragraph(f"{i}. {a}") for i, a in enumerate(advice, 1))))

    sources = tuple(sorted(cited.values(), key=lambda r: r.item_id))
    return ReportDocument(
        kind="special",
        key=f"event:{event_id}",
        title=f"关于“{plain(event.title, 60)}”的舆情专报",
        organisation=config.organisation.name,
        subtitle=f"【{event.level}】事件编号 {event_id}",
        meta=(("编报单位", config.organisation.name), ("信息截至", beijing(as_of)), ("报送", "本级、上级")),
        sections=tuple(sections),
        sources=sources,
        footer="本专报所述情况均有系统存储的信息为据（见“依据信息”）；个人信息已脱敏处理。审批后按程序归口报送。",
        generated_at=beijing(now),
        extra={"event_id": event_id, "level": event.level, "items": total},
    )


def needs_special_report(level: str) -> bool:
    return level_rank(level) >= level_rank(TRIGGER_FROM)
