"""The one configuration file, ``yuqing.yaml``, as a typed object.

Why pydantic: the office edits this file by hand, so a mistake must be reported with the file, the
path of the field inside it and the reason, before any DAG runs on it. Secrets never live here:
SMTP and webhook addresses are Airflow Connections referenced by id.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yuqing.paths import project_root

LEVELS: tuple[str, ...] = ("一般", "较大", "重大", "特别重大")
"""The four grades, lowest first (IV 蓝 / III 黄 / II 橙 / I 红)."""

Level = Literal["一般", "较大", "重大", "特别重大"]
Channel = Literal["portal", "news", "forum", "weibo", "wechat", "wenzheng", "hotline", "print", "news_comment"]
SourceType = Literal["rss", "html", "json", "hotline", "manual"]

CHANNEL_NAMES: dict[str, str] = {
    "portal": "门户网站",
    "news": "新闻媒体",
    "forum": "论坛",
    "weibo": "微博",
    "wechat": "微信",
    "wenzheng": "网络问政",
    "hotline": "热线电话",
    "print": "传统媒体",
    "news_comment": "新闻跟贴",
}


class ConfigError(Exception):
    """An invalid configuration file: names the file, the field path and the reason."""

    def __init__(self, path: Path | str, problems: list[tuple[str, str]]):
        self.path = str(path)
        self.problems = problems
        lines = [f"{self.path}: invalid configuration"]
        lines += [f"  {where}: {reason}" for where, reason in problems]
        super().__init__("\n".join(lines))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Model):
    """Anyone the system may notify or record: monitors, leaders, unit handlers."""

    id: str
    name: str
    title: str = ""
    unit: str | None = None
    roles: list[Literal["monitor", "leader", "principal", "handler", "viewer", "admin"]] = ["viewer"]
    email: str | None = None
    phone: str | None = None
    webhook_conn_id: str | None = Field(
        default=None, description="Airflow Connection of this person's robot webhook, if not the default"
    )


class Unit(_Model):
    """A unit (科室/单位) that handles cases; 谁主管谁负责."""

    id: str
    name: str
    leader: str = Field(description="person id of the 分管领导 in charge of this unit")
    head: str | None = Field(default=None, description="person id of the unit's 直接责任人")
    email: str | None = None


class Organisation(_Model):
    name: str
    short_name: str
    timezone: str = "Asia/Shanghai"
    principal: str = Field(description="person id of the 主要负责同志")
    units: list[Unit]


class Shift(_Model):
    """One on-duty shift. ``end`` before ``start`` means the shift runs past midnight."""

    person: str
    backup: str | None = None
    start: time
    end: time
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = [1, 2, 3, 4, 5, 6, 7]


class Roster(_Model):
    shifts: list[Shift] = Field(min_length=1)


class HtmlSelectors(_Model):
    item: str = Field(description="CSS selector of one entry in the list page")
    title: str
    link: str | None = None
    date: str | None = None
    summary: str | None = None
    author: str | None = None
    comments: str | None = None


class JsonMapping(_Model):
    items_path: str = Field(default="", description="dotted path to the list of records, '' for a top-level list")
    external_id: str
    text: str
    title: str | None = None
    url: str | None = None
    published_at: str | None = None
    author: str | None = None
    comments: str | None = None
    reposts: str | None = None
    likes: str | None = None
    views: str | None = None


class Source(_Model):
    """A place the office watches (C1: 门户网站、论坛、微博、网络问政、热线电话、新闻跟贴、传统媒体)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    name: str
    type: SourceType
    channel: Channel
    enabled: bool = True
    url: str | None = None
    folder: str | None = Field(default=None, description="hotline drop folder, relative to the project root")
    cadence_minutes: int = Field(default=60, ge=1, description="how often this source usually has something new")
    timeout_seconds: float = Field(default=10, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    failure_threshold: int = Field(default=3, ge=1, description="consecutive failures that raise a health warning")
    search_url: str | None = Field(
        default=None,
        description="URL template with {keyword} for a targeted collection (舆情跟踪); rss, html and json sources",
    )
    selectors: HtmlSelectors | None = None
    fetch_article: bool = Field(default=False, description="follow each link and extract the article text")
    mapping: JsonMapping | None = None
    reach: Literal["local", "provincial", "national"] = "local"

    @model_validator(mode="after")
    def _fields_for_type(self) -> Source:
        needs: dict[str, list[str]] = {
            "rss": ["url"],
            "html": ["url", "selectors"],
            "json": ["url", "mapping"],
            "hotline": ["folder"],
            "manual": [],
        }
        missing = [f for f in needs[self.type] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a source of type '{self.type}' needs {', '.join(missing)}")
        if self.search_url is not None:
            if self.type not in ("rss", "html", "json"):
                raise ValueError(f"search_url: a source of type '{self.type}' cannot be searched")
            if "{keyword}" not in self.search_url:
                raise ValueError("search_url must contain {keyword}, where the search term goes")
        return self


class Category(_Model):
    """A topic category with its sensitivity weight (0..1) and the terms that signal it."""

    weight: float = Field(ge=0, le=1)
    terms: list[str] = Field(min_length=1)


class Lexicons(_Model):
    agency_terms: list[str] = Field(min_length=1, description="names of the office, its units, titles")
    places: list[str] = []
    categories: dict[str, Category] = Field(min_length=1)
    exclusions: list[str] = Field(default=[], description="items containing these are not relevant")
    user_dict: list[str] = Field(default=[], description="extra words the segmenter must keep whole")
    negative: list[str] = Field(default=[], description="extra negative sentiment words")
    positive: list[str] = Field(default=[], description="extra positive sentiment words")
    rumour_cues: list[str] = []


class MediaList(_Model):
    central: list[str] = []
    mainstream: list[str] = []
    official: list[str] = []


class Grading(_Model):
    """C2a 研判标准: thresholds on a 0..100 score built from content, reaction and media factors."""

    thresholds: dict[Level, float] = {"一般": 0, "较大": 40, "重大": 65, "特别重大": 85}
    weights: dict[Literal["content", "reaction", "media", "reach"], float] = {
        "content": 40,
        "reaction": 35,
        "media": 15,
        "reach": 10,
    }
    warn_from: Level = "较大"
    event_window_hours: int = Field(default=72, ge=1)
    similarity: float = Field(default=0.35, gt=0, le=1, description="minimum term overlap to join an event")
    media: MediaList = MediaList()

    @field_validator("thresholds")
    @classmethod
    def _thresholds_rise(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [lv for lv in LEVELS if lv not in v]
        if missing:
            raise ValueError(f"thresholds for every level are needed; missing {', '.join(missing)}")
        values = [v[lv] for lv in LEVELS]
        if values != sorted(values) or len(set(values)) != len(values):
            raise ValueError("thresholds must rise strictly from 一般 to 特别重大")
        return v


class Health(_Model):
    silence_factor: float = Field(default=3, gt=1, description="silent for factor × cadence raises a warning")


class Notifications(_Model):
    smtp_conn_id: str = "yuqing_smtp"
    webhook_conn_id: str = "yuqing_webhook"
    webhook_endpoint: str = "/robot/send"
    dashboard_url: str = "http://localhost:8080"


class Recipient(_Model):
    name: str
    email: str | None = None
    webhook_conn_id: str | None = None


class Recipients(_Model):
    same_level: list[Recipient] = Field(default=[], description="本级")
    upper: list[Recipient] = Field(default=[], description="上级")


class RoutingRule(_Model):
    """谁主管谁负责: a case whose category, keyword or place matches goes to ``unit`` (first match wins)."""

    name: str
    unit: str
    categories: list[str] = []
    keywords: list[str] = []
    places: list[str] = []
    co_units: list[str] = Field(default=[], description="协办 units added when this rule matches")


class Agency(_Model):
    """Another administrative agency; a response naming it needs its confirmation (C5 会签, 准确一致)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    name: str
    aliases: list[str] = Field(default=[], description="other names that count as naming this agency")
    contact: str = Field(description="Airflow user id of the agency's liaison, who answers the 会签 step")
    contact_name: str = ""
    email: str | None = None


class CalendarYear(_Model):
    """The State Council's holiday notice for one year, typed in: 放假 dates and 调休 working weekend days."""

    holidays: list[date] = []
    workdays: list[date] = Field(default=[], description="weekend days that are working days (调休上班)")


class DeadlineRules(_Model):
    """Deadlines (国办发〔2016〕61号 / 80号; 12345 rules): clock hours for events, working days for hotline items."""

    major_release_hours: float = Field(default=5, gt=0, description="重大/特别重大: first authoritative release")
    major_press_hours: float = Field(default=24, gt=0, description="重大/特别重大: press conference")
    reply_hours: float = Field(default=48, gt=0, description="other events: reply")
    working_days: dict[str, int] = {"咨询": 7, "投诉": 15, "求助": 7, "建议": 15}
    default_item_type: str = Field(default="投诉", description="type of a hotline/网络问政 item with no 诉求类型")
    remind_before_hours: float = Field(default=4, ge=0, description="remind the 直接责任人 this long before a deadline")
    escalate_principal_after_hours: float = Field(
        default=24, ge=0, description="overdue this long: escalate from the 分管领导 to the 主要负责同志"
    )
    assessment_timeout_hours: float = Field(default=4, gt=0, description="C2d approval: then not approved, escalated")
    countersign_timeout_hours: float = Field(default=24, gt=0)
    approval_timeout_hours: float = Field(default=4, gt=0, description="leader approval of a response text")
    draft_timeout_hours: float = Field(default=4, gt=0, description="drafter's edit step; then the draft stands")
    feedback_timeout_hours: float = Field(default=24, gt=0, description="a unit's feedback form in Airflow")


class ResponseChannels(_Model):
    """Publication channels (C5 联动, G2 微博优先), each an Airflow Connection."""

    order: list[Literal["weibo", "wechat", "website"]] = ["weibo", "wechat", "website"]
    weibo_conn_id: str = "yuqing_weibo"
    wechat_conn_id: str = "yuqing_wechat"
    website_conn_id: str = "yuqing_website"
    attempts: int = Field(default=3, ge=1, le=10, description="tries per channel within one task attempt")

    @field_validator("order")
    @classmethod
    def _weibo_first(cls, v: list[str]) -> list[str]:
        if not v or v[0] != "weibo" or len(set(v)) != len(v):
            raise ValueError("政务微博优先 (G2): the order must start with weibo and name each channel once")
        return v


class Cases(_Model):
    """Case handling and public response (C2d, C4, C5)."""

    open_for_levels: list[Level] = Field(default=["较大", "重大", "特别重大"], description="events opened as cases")
    open_for_response_value: list[str] = Field(default=["需回应"], description="…or with this 回应价值")
    item_channels: list[Channel] = Field(default=["hotline", "wenzheng"], description="every item becomes a case")
    assessment_levels: list[Level] = Field(default=["重大", "特别重大"], description="C2d: assessed and approved")
    default_unit: str = "office"
    routing: list[RoutingRule] = []
    agencies: list[Agency] = []
    approver_by_level: dict[Level, Literal["unit_leader", "principal"]] = {
        "一般": "unit_leader", "较大": "unit_leader", "重大": "unit_leader", "特别重大": "principal",
    }
    deadlines: DeadlineRules = DeadlineRules()
    calendar: dict[int, CalendarYear] = Field(default={}, description="overrides/additions to the holiday calendar")
    channels: ResponseChannels = ResponseChannels()
    publish_dir: str = Field(default="output/publish", description="the website channel's default folder")


class Retention(_Model):
    """How long collected items stay in the store before they are archived (compressed JSONL) and deleted.

    Items that reports cite, that cases or still-open events refer to, or that audit entries name are
    kept whatever their age: a report keeps its evidence.
    """

    items_months: int = Field(default=24, ge=1, le=600, description="archive items collected more than this many months ago")
    archive_dir: str = Field(default="var/archive", description="where the archives go, relative to the project root")


class Acknowledgement(_Model):
    """C2c 及时反馈 / C4 第一责任人: every warning is acknowledged; unacknowledged ones climb the chain.

    ``escalate_after_minutes`` gives, per level, the minutes after a warning was raised at which it
    goes to the shift's backup (备班), then the 分管领导, then the 主要负责同志 (three rising numbers).
    """

    escalate_after_minutes: dict[Level, list[int]] = {
        "一般": [120, 240, 480], "较大": [30, 60, 120], "重大": [15, 30, 60], "特别重大": [10, 20, 30],
    }
    link_ttl_hours: float = Field(default=24, gt=0, description="how long an acknowledgement link in a mail works")
    leader_in_charge: str | None = Field(
        default=None, description="person id of the 分管领导 for 舆情 work; default: the leader of the on-duty person's unit"
    )
    roster_lookahead_hours: int = Field(default=24, ge=0, le=168, description="a roster gap this close raises 值班空档")

    @field_validator("escalate_after_minutes")
    @classmethod
    def _three_rising_steps(cls, v: dict[str, list[int]]) -> dict[str, list[int]]:
        missing = [lv for lv in LEVELS if lv not in v]
        if missing:
            raise ValueError(f"escalation minutes for every level are needed; missing {', '.join(missing)}")
        for lv, steps in v.items():
            if len(steps) != 3 or steps[0] <= 0 or steps != sorted(set(steps)):
                raise ValueError(f"{lv}: three rising minute counts are needed (备班, 分管领导, 主要负责同志), got {steps}")
        return v


class VerifyingBody(_Model):
    """A body that verifies doubts and rumours (C1 核实衔接: 门户网站、政府热线、政务微博, the responsible unit)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    name: str
    kind: Literal["门户网站", "政府热线", "政务微博", "责任单位"]
    user: str = Field(description="Airflow user id of the person who answers the verification form for this body")
    email: str | None = None


class VerificationRules(_Model):
    """谣言核实 (C1): who verifies a suspected rumour or misunderstanding, and how long they have."""

    bodies: list[VerifyingBody] = []
    concluders: list[str] = Field(
        default=[], description="person ids who conclude (default: the on-duty monitor and the unit's 分管领导)"
    )
    finding_timeout_hours: float = Field(default=24, gt=0, description="a body's form; then 未答复, excluded")
    conclusion_timeout_hours: float = Field(default=8, gt=0, description="then the combined finding stands")
    propose_from_analysis: bool = Field(default=True, description="propose 疑似谣言 when an event's items carry cue words")
    propose_from_level: Level = Field(default="一般", description="only events graded at least this are proposed")

    @model_validator(mode="after")
    def _unique_bodies(self) -> VerificationRules:
        ids = [b.id for b in self.bodies]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"bodies: duplicate id {', '.join(dup)}")
        return self


class Config(_Model):
    organisation: Organisation
    people: list[Person]
    roster: Roster
    sources: list[Source]
    lexicons: Lexicons
    grading: Grading = Grading()
    health: Health = Health()
    notifications: Notifications = Notifications()
    recipients: Recipients = Recipients()
    cases: Cases = Cases()
    verification: VerificationRules = VerificationRules()
    acknowledgement: Acknowledgement = Acknowledgement()
    retention: Retention = Retention()

    @model_validator(mode="after")
    def _references_resolve(self) -> Config:
        people = {p.id for p in self.people}
        problems: list[str] = []
        for kind, items in (("people", self.people), ("sources", self.sources), ("organisation.units", self.organisation.units)):
            seen: set[str] = set()
            for it in items:
                if it.id in seen:
                    problems.append(f"{kind}: duplicate id '{it.id}'")
                seen.add(it.id)
        if self.organisation.principal not in people:
            problems.append(f"organisation.principal: unknown person '{self.organisation.principal}'")
        units = {u.id for u in self.organisation.units}
        for i, u in enumerate(self.organisation.units):
            for field in ("leader", "head"):
                ref = getattr(u, field)
                if ref is not None and ref not in people:
                    problems.append(f"organisation.units[{i}].{field}: unknown person '{ref}'")
        for i, p in enumerate(self.people):
            if p.unit is not None and p.unit not in units:
                problems.append(f"people[{i}].unit: unknown unit '{p.unit}'")
        for i, s in enumerate(self.roster.shifts):
            for field in ("person", "backup"):
                ref = getattr(s, field)
                if ref is not None and ref not in people:
                    problems.append(f"roster.shifts[{i}].{field}: unknown person '{ref}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _case_references_resolve(self) -> Config:
        units = {u.id for u in self.organisation.units}
        problems = [f"cases.default_unit: unknown unit '{self.cases.default_unit}'"] if self.cases.default_unit not in units else []
        for i, rule in enumerate(self.cases.routing):
            for ref in [rule.unit, *rule.co_units]:
                if ref not in units:
                    problems.append(f"cases.routing[{i}] ({rule.name}): unknown unit '{ref}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _acknowledgement_references_resolve(self) -> Config:
        ref = self.acknowledgement.leader_in_charge
        if ref is not None and ref not in {p.id for p in self.people}:
            raise ValueError(f"acknowledgement.leader_in_charge: unknown person '{ref}'")
        return self

    @model_validator(mode="after")
    def _verification_references_resolve(self) -> Config:
        people = {p.id for p in self.people}
        unknown = [c for c in self.verification.concluders if c not in people]
        if unknown:
            raise ValueError(f"verification.concluders: unknown person {', '.join(unknown)}")
        return self

    # -- lookups used across the package --------------------------------------------------------
    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(f"unknown person '{person_id}'")

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"unknown source '{source_id}'")

    def resolve_path(self, relative: str) -> Path:
        """Folders in the config are relative to the project root, so the file is portable."""
        p = Path(relative)
        return p if p.is_absolute() else project_root() / p


def _pretty_loc(loc: tuple[Any, ...], raw: Any) -> str:
    """Field path with the list element's id where it has one: ``sources[3] (id=forum).selectors``."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" (id={node['id']})"
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def parse_config(raw: Any, path: Path | str = "<config>") -> Config:
    if not isinstance(raw, dict):
        raise ConfigError(path, [("(top level)", "the file must be a mapping of sections")])
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = [(_pretty_loc(e["loc"], raw), e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
        raise ConfigError(path, problems) from None


def config_path() -> Path:
    return Path(os.environ.get("YUQING_CONFIG") or project_root() / "yuqing.yaml")


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the configuration; raises ConfigError naming the file, field and reason."""
    path = Path(path) if path is not None else config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [("(file)", "not found; set YUQING_CONFIG or create yuqing.yaml")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [("(file)", f"not UTF-8 text: {exc}")]) from None
    try:
        # libyaml's loader when present: 10× faster on a city-scale file, and every task reads the config
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(path, [(where, f"YAML syntax error: {getattr(exc, 'problem', exc)}")]) from None
    return parse_config(raw, path)
