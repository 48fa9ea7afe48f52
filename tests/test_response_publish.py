"""Public response (C5, G1, G2): drafts, approval of the exact text, publication on loopback platforms
speaking the Weibo / WeChat API shapes and a static website, read back byte for byte."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cases_support import T0, make_event
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yuqing import db
from yuqing.cases.models import Publication, PublicResponse
from yuqing.cases.service import open_pending_cases
from yuqing.config import Config
from yuqing.models import AuditLog, EarlyWarning
from yuqing.response import approvals
from yuqing.response.channels import WebsiteChannel, WechatChannel, WeiboChannel
from yuqing.response.drafts import create_draft, named_agencies, revise_text, sha256_text
from yuqing.response.publish import PublicationIncomplete, PublicationRefused, publish_response

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "include" / "demo"))
from channels import WECHAT_APPID, WECHAT_SECRET, WEIBO_KEY, WEIBO_SECRET, start_channels  # noqa: E402


@pytest.fixture
def platforms(tmp_path: Path) -> Iterator[tuple]:
    site = tmp_path / "publish"
    server = start_channels(site)
    chans = {"weibo": WeiboChannel(server.base_url, WEIBO_KEY, WEIBO_SECRET),
             "wechat": WechatChannel(server.base_url, WECHAT_APPID, WECHAT_SECRET),
             "website": WebsiteChannel(site, f"{server.base_url}/site")}
    yield server, chans
    server.shutdown()
    server.server_close()


def _scope(db_url: str):
    @contextmanager
    def scope() -> Iterator[Session]:
        s = sessionmaker(db.get_engine(db_url), expire_on_commit=False)()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()
    return scope


def _draft(session: Session, config: Config, run: str = "manual__1") -> PublicResponse:
    make_event(session)
    case = open_pending_cases(session, config, now=T0)[0]
    r = create_draft(session, config, case, template="情况说明", form="网上发布",
                     channels=["website", "wechat", "weibo"], actor="zheng_yan", dag_run_id=run, now=T0)
    session.commit()
    return r


def _countersign(session: Session, r: PublicResponse) -> None:
    for i, agency in enumerate(r.agencies):
        approvals.request(session, kind="countersign", dag_id="yuqing_public_response", run_id=r.dag_run_id,
                          task_id="countersign", map_index=i, case_id=r.case_id, response_id=r.id,
                          assigned_to=["zhang_jing"], text_sha256=r.text_sha256, agency=agency, now=T0)
        approvals.decide(session, dag_id="yuqing_public_response", run_id=r.dag_run_id, task_id="countersign",
                         map_index=i, chosen_options=["Approve"], responded_by={"id": "zhang_jing", "name": "z"},
                         params_input={}, responded_at=T0, now=T0)


def _approve(session: Session, r: PublicResponse, sha: str | None = None, who: str = "chen_gang",
             countersign: bool = True) -> None:
    if countersign:
        _countersign(session, r)
    approvals.request(session, kind="publication", dag_id="yuqing_public_response", run_id=r.dag_run_id,
                      task_id="approve_text", case_id=r.case_id, response_id=r.id, assigned_to=[who],
                      text_sha256=sha or r.text_sha256, now=T0)
    approvals.decide(session, dag_id="yuqing_public_response", run_id=r.dag_run_id, task_id="approve_text",
                     chosen_options=["Approve"], responded_by={"id": who, "name": who}, params_input={},
                     responded_at=T0, now=T0)
    session.commit()


def test_c5_draft_is_filled_from_the_event_and_names_the_police(session: Session, demo_config: Config) -> None:
    r = _draft(session, demo_config)
    assert r.title.startswith("关于“清风寺强制收“香火钱”还打人？”有关情况的说明")
    assert "江城市民族宗教事务局" in r.text and "公安机关已依法介入调查" in r.text and "清风寺" in r.text
    assert r.agencies == ["police"] and r.channels == ["weibo", "wechat", "website"]  # 微博优先 (G2)
    assert r.text_sha256 == sha256_text(r.text) and r.attempt == 1
    assert [a.id for a in named_agencies(demo_config, "经与市文旅局、市市场监管局核实")] == ["culture", "market"]
    assert revise_text(session, demo_config, r, text=r.text.replace("公安机关已依法介入调查。", ""), actor="zheng_yan")
    assert r.agencies == []


def test_g1_nothing_is_published_without_an_approval(db_url: str, session: Session, demo_config: Config,
                                                     platforms: tuple) -> None:
    server, chans = platforms
    r = _draft(session, demo_config)
    with pytest.raises(PublicationRefused, match="没有领导审核通过的记录"):
        publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0)
    assert server.weibo == [] and server.wechat == []
    session.expire_all()
    assert session.get(PublicResponse, r.id).state == "refused"
    assert session.scalar(select(EarlyWarning.kind).where(EarlyWarning.dedup_key == f"publication:{r.id}:refused"))


def test_c5_g2_approved_text_goes_out_identically_weibo_first_and_once(db_url: str, session: Session,
                                                                        demo_config: Config, platforms: tuple) -> None:
    server, chans = platforms
    r = _draft(session, demo_config)
    _approve(session, r)
    out = publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0)
    assert out.published == ["weibo", "wechat", "website"] and out.failed == {}
    posting = [c for c in server.calls if c in ("POST /2/statuses/share.json", "POST /cgi-bin/freepublish/submit")]
    assert posting == ["POST /2/statuses/share.json", "POST /cgi-bin/freepublish/submit"]  # Weibo first
    assert server.weibo[0]["text"].encode() == r.text.encode() == server.wechat[0]["content"].encode()
    site = chans["website"].publish_dir
    assert (site / "releases" / f"YQ-20261124-0001-{r.id}.txt").read_bytes() == r.text.encode()
    assert "清风寺" in (site / "rss.xml").read_text(encoding="utf-8") and (site / "index.html").exists()
    session.expire_all()
    resp = session.get(PublicResponse, r.id)
    assert resp.state == "published" and resp.on_time is True and resp.first_published_at == T0
    assert {p.channel: p.state for p in resp.publications} == dict.fromkeys(["weibo", "wechat", "website"], "verified")
    again = publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0)
    assert again.published == ["weibo", "wechat", "website"] and len(server.weibo) == len(server.wechat) == 1
    who = session.scalar(select(AuditLog).where(AuditLog.action == "approval.approved.publication"))
    assert who.actor == "chen_gang" and who.detail["sha256"] == r.text_sha256


def test_g1_text_changed_after_approval_is_refused(db_url: str, session: Session, demo_config: Config,
                                                    platforms: tuple) -> None:
    server, chans = platforms
    r = _draft(session, demo_config)
    _approve(session, r)
    r.text = r.text + "（补充一句未经审核的话）"
    session.commit()
    with pytest.raises(PublicationRefused, match="文本在审核后被改动"):
        publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0)
    assert server.weibo == [] and server.wechat == []
    assert session.scalar(select(AuditLog.detail).where(AuditLog.action == "publication.refused"))["why"].startswith(
        "文本在审核后被改动")


def test_c5_text_naming_an_agency_needs_its_countersign(db_url: str, session: Session, demo_config: Config,
                                                        platforms: tuple) -> None:
    server, chans = platforms
    r = _draft(session, demo_config)
    _approve(session, r, countersign=False)
    with pytest.raises(PublicationRefused, match="未会签确认此文本：police"):
        publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0)
    assert server.weibo == []


def test_c5_one_channel_down_is_reported_and_rerun_adds_only_what_is_missing(
        db_url: str, session: Session, demo_config: Config, platforms: tuple) -> None:
    server, chans = platforms
    r = _draft(session, demo_config)
    _approve(session, r)
    server.down.add("wechat")
    with pytest.raises(PublicationIncomplete, match="published on \\['weibo', 'website'\\]"):
        publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0, retry_pause=0)
    session.expire_all()
    assert session.get(PublicResponse, r.id).state == "partial"
    warning = session.scalar(select(EarlyWarning).where(EarlyWarning.dedup_key.like(f"publication:{r.id}:partial%")))
    assert "已发布：政务微博、门户网站；未发布：微信公众号" in warning.summary
    assert session.scalar(select(Publication.attempts).where(Publication.channel == "wechat")) == 3
    server.down.clear()
    out = publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0)
    assert out.published == ["weibo", "wechat", "website"]
    assert len(server.weibo) == 1 and len(server.wechat) == 1  # nothing twice


def test_g2_weibo_down_means_nothing_else_goes_first(db_url: str, session: Session, demo_config: Config,
                                                     platforms: tuple) -> None:
    server, chans = platforms
    r = _draft(session, demo_config)
    _approve(session, r)
    server.down.add("weibo")
    with pytest.raises(PublicationIncomplete, match="not attempted \\['wechat', 'website'\\]"):
        publish_response(_scope(db_url), demo_config, r.id, chans, now=lambda: T0, retry_pause=0)
    assert server.wechat == [] and not (chans["website"].publish_dir / "rss.xml").exists()
