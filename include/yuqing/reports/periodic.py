"""舆情周报 and 月报 (C2c, G3): one builder for both; only the period differs.

Week = Monday to Sunday (Beijing), reported on the following Monday at 09:00; month = the calendar
month, reported after it ends. Sections: 概况 (items, events, warnings, charts by day and by
channel), 重点事件 (with the items they rest on), 定期通报 (cases 受理/办结/超期 per unit), 考核
(per-unit on-time rate, mean and worst response time, overdue), 专报与报送, and the 重大决策
风险评估 of the period, where a decision with no completed assessment shows as 未评估.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing.clock import local_day_bounds
from yuqing.config import LEVELS, Config
from yuqing.early_warning import level_rank
from yuqing.models import EarlyWarning, Event, Item, Source, utcnow
from yuqing.reports.document import Chart, Paragraph, Ref, ReportDocument, Section, Table
from yuqing.reports.models import Report
from yuqing.reports.scorecard import acknowledgement_blocks, unit_case_rows
from yuqing.templating import SENTIMENT_NAMES, beijing, channel_name, plain

TOP_EVENTS = 10
NO_CASES = "本期无案件数据。"


def week_of(day: date) -> tuple[date, date]:
    """The Monday-to-Sunday week before the one containing ``day`` (a Monday run reports last week)."""
    monday = day - timedelta(days=day.weekday()) - timedelta(days=7)
    return monday, monday + timedelta(days=7)


def month_of(day: date) -> tuple[date, date]:
    """The calendar month before the one containing ``day``."""
    first_this = day.replace(day=1)
    first_prev = (first_this - timedelta(days=1)).replace(day=1)
    return first_prev, first_this


def period_key(kind: str, start: date) -> str:
    if kind == "weekly":
        y, w, _ = start.isocalendar()
        return f"{y}-W{w:02d}"
    return f"{start.year}-{start.month:02d}"


def _hours(h: float | None) -> str:
    return "—" if h is None else f"{h:.1f}"


def build_period_report(session: Session, config: Config, kind: str, start_day: date, end_day: date, *,
                        now: datetime | None = None) -> ReportDocument:
    """The 周报 (kind ``weekly``) or 月报 (``monthly``) of [start_day, end_day) in Beijing days."""
    from yuqing.risk.assessment import decisions_in_period

    if kind not in ("weekly", "monthly"):
        raise ValueError(f"unknown periodic report kind {kind!r}; use weekly or monthly")
    now = now or utcnow()
    start, _ = local_day_bounds(start_day)
    end, _ = local_day_bounds(end_day)
    in_period = (Item.collected_at >= start, Item.collected_at < end)
    name = "周" if kind == "weekly" else "月"
    last_day = end_day - timedelta(days=1)
    label = f"{start_day:%Y年%m月%d日}至{last_day:%m月%d日}"

    total = session.scalar(select(func.count()).select_from(Item).where(*in_period)) or 0
    relevant = session.scalar(select(func.count()).select_from(Item).where(*in_period, Item.relevant.is_(True))) or 0
    by_channel = dict(session.execute(select(Item.channel, func.count()).where(*in_period).group_by(Item.channel)).all())
    # per-day sentiment counts: grouped in Python over two small columns (portable across SQLite/PostgreSQL)
    days = [start_day + timedelta(days=i) for i in range((end_day - start_day).days)]
    per_day = {d: dict.fromkeys(SENTIMENT_NAMES, 0) for d in days}
    for collected_at, sentiment in session.execute(select(Item.collected_at, Item.sentiment).where(*in_period)):
        d = (collected_at + timedelta(hours=8)).date()
        if d in per_day:
            per_day[d][sentiment if sentiment in SENTIMENT_NAMES else "neutral"] += 1
    events = session.scalars(select(Event).where(Event.first_seen_at < end, Event.last_seen_at >= start)).all()
    level_counts = {lv: sum(1 for e in events if e.level == lv) for lv in LEVELS}
    warnings = session.scalar(select(func.count()).select_from(EarlyWarning).where(
        EarlyWarning.created_at >= start, EarlyWarning.created_at < end)) or 0

    sections: list[Section] = []
    overview = [Paragraph(
        f"本{name}（{label}）共采集信息 {total} 条，其中相关信息 {relevant} 条；活跃舆情事件 {len(events)} 起（"
        + "、".join(f"{lv} {level_counts[lv]} 起" for lv in reversed(LEVELS)) + f"）；发出预警 {warnings} 次。")]
    if not total and not events:
        overview.append(Paragraph(f"本{name}无相关舆情信息。", style="notice"))
    labels = tuple(f"{d:%m-%d}" for d in days) if kind == "weekly" else tuple(f"{d.day}日" for d in days)
    overview.append(Chart("stacked", f"每日信息量及情感倾向（{label}）", labels,
                          tuple((n, tuple(float(per_day[d][s]) for d in days)) for s, n in SENTIMENT_NAMES.items()),
                          "条数", name="daily"))
    ch = sorted(by_channel.items(), key=lambda kv: -kv[1])
    overview.append(Chart("barh", "各渠道信息条数", tuple(channel_name(c) for c, _ in ch),
                          (("条数", tuple(float(n) for _, n in ch)),), name="channels"))
    sections.append(Section("一、总体情况", tuple(overview)))

    top = sorted(events, key=lambda e: (-level_rank(e.level), -e.score, e.id))[:TOP_EVENTS]
    rep_ids = [e.representative_item_id for e in top if e.representative_item_id]
    reps = {it.id: (it, src) for it, src in session.execute(
        select(Item, Source.name).join(Source, Source.id == Item.source_id).where(Item.id.in_(rep_ids)))} if rep_ids else {}
    cited: dict[int, Ref] = {}
    ev_blocks: list = []
    for e in top:
        rep = reps.get(e.representative_item_id or -1)
        refs: tuple[Ref, ...] = ()
        if rep:
            it, src = rep
            r = Ref(it.id, src, beijing(it.published_at or it.collected_at), plain(it.title or it.text, 80), it.url or "")
            cited[it.id] = r
            refs = (r,)
        ev_blocks.append(Paragraph(f"【{e.level}】{plain(e.title, 80)}：{beijing(e.first_seen_at)}首现，相关信息 {e.item_count} 条，"
                                   f"综合评分 {e.score:.1f}" + (f"，{e.response_value}" if e.response_value else "") + "。",
                                   refs, max(0, e.item_count - len(refs))))
    if not ev_blocks:
        ev_blocks.append(Paragraph(f"本{name}无舆情事件。", style="notice"))
    elif len(events) > TOP_EVENTS:
        ev_blocks.append(Paragraph(f"另有 {len(events) - TOP_EVENTS} 起一般事件未列出。"))
    sections.append(Section("二、重点舆情事件", tuple(ev_blocks)))

    rows = unit_case_rows(session, config, start, end)
    if rows:
        notice = (Paragraph(f"本{name}共受理 {sum(r.accepted for r in rows)} 件，办结 {sum(r.closed for r in rows)} 件，"
                            f"超期 {sum(r.overdue for r in rows)} 件。"),
                  Table(("责任单位", "受理", "办结", "超期"),
                        tuple((r.unit_name, str(r.accepted), str(r.closed), str(r.overdue)) for r in rows), numeric=(1, 2, 3)))
        score = (Table(("责任单位", "已答复", "按时答复率", "平均响应（小时）", "最长响应（小时）", "超期件数"),
                       tuple((r.unit_name, str(r.answered), "—" if r.on_time_rate is None else f"{r.on_time_rate:.0%}",
                              _hours(r.mean_hours), _hours(r.worst_hours), str(r.overdue)) for r in rows),
                       numeric=(1, 2, 3, 4, 5), note="按时答复率 = 期限内答复件数 ÷ 本期答复件数；响应时间自受理起算至首次答复。"),
                 Chart("bar", "各单位按时答复率（%）", tuple(r.unit_name for r in rows),
                       (("按时答复率", tuple(100.0 * (r.on_time_rate or 0) for r in rows)),), "%", name="ontime"))
    else:
        notice = (Paragraph(NO_CASES, style="notice"),)
        score = (Paragraph(NO_CASES, style="notice"),)
    sections.append(Section("三、案件办理定期通报", notice))
    score += acknowledgement_blocks(session, config, start, end, name)  # C2c 及时反馈: time to acknowledge
    sections.append(Section("四、考核情况", score))

    reports = session.scalars(select(Report).where(Report.kind == "special", Report.created_at >= start,
                                                   Report.created_at < end).order_by(Report.id)).all()
    status = {"draft": "待审批", "approved": "已批准", "rejected": "未批准"}
    sections.append(Section("五、专报及报送", (Table(("专报", "版本", "状态", "报送"), tuple(
        (plain(r.title, 60), f"v{r.version}", status.get(r.status, r.status),
         f"{sum(1 for d in r.deliveries if d.status == 'sent')}/{len(r.deliveries)} 已送达") for r in reports),
        empty=f"本{name}无专报。"),)))

    decisions = decisions_in_period(session, start, end)
    sections.append(Section("六、重大决策舆情风险评估", (Table(("决策事项", "评估状态", "风险等级", "决策结论"), tuple(
        (plain(d["title"], 60), d["status"], d["level"], d["verdict"]) for d in decisions), empty=f"本{name}无重大决策事项。"),)))

    kind_name = "舆情周报" if kind == "weekly" else "舆情月报"
    key = period_key(kind, start_day)
    return ReportDocument(
        kind=kind, key=key, title=f"{config.organisation.name}{kind_name}", organisation=config.organisation.name,
        subtitle=f"{key}（{label}）", meta=(("统计区间", label),), generated_at=beijing(now),
        sections=tuple(sections), sources=tuple(sorted(cited.values(), key=lambda r: r.item_id)),
        footer="数据来源：本系统存储的采集、研判、预警、案件和报送记录；个人信息已脱敏处理。",
        extra={"items": total, "events": len(events), "unit_rows": len(rows)},
    )
