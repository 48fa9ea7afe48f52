"""
### 公开回应：起草 → 会签 → 领导审核 → 微博首发、微信与网站同步 → 回读核验 (policy C5, G1, G2, G3)

Triggered per case: by hand (the Params form: case number, template, form of response, channels)
or by `yuqing_event_assessment` once the leader approved handling. Steps:

1. `prepare_draft` — a draft from `templates/responses/` (情况说明 / 辟谣 / 通报) filled from the case and event;
2. `edit_draft` — the drafter (专人采编: the unit's 直接责任人) may rewrite it (HITL form; no answer = the draft stands);
3. `countersign` — one HITL approval per other administrative agency the text names (会签, 准确一致);
4. `approve_text` — the leader assigned by level approves *that exact text*; its sha256 is stored with the
   approval. Not approved, or no answer in time (safe default), and nothing is published;
5. `publish` — 微博 first, then 微信 and the website; each channel is read back and must carry byte-identical
   text; the hash is checked first (a changed text or a missing approval is refused with a warning);
   a failing channel is retried and reported (which published, which not), never posted twice;
6. `report` — delivers the warnings and notices raised, whatever happened.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Param, TriggerRule, dag, task

from yuqing_airflow.hitl import HitlMail, RecordedApproval, RecordedEntry

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))


@dag(
    dag_id="yuqing_public_response",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    default_args={"owner": "公开回应", "retries": 2, "retry_delay": RETRY_DELAY},
    params={
        "case_number": Param(type="string", pattern=r"^YQ-\d{8}-\d{4}$", title="受理编号"),
        "template": Param("情况说明", type="string", enum=["情况说明", "辟谣", "通报"], title="回应稿模板"),
        "form": Param("网上发布", type="string", enum=["网上发布", "专家解读", "新闻发布会", "媒体专访"],
                      title="回应形式"),
        "channels": Param(["weibo", "wechat", "website"], type="array",
                          items={"type": "string", "enum": ["weibo", "wechat", "website"]},
                          title="发布渠道（微博优先）"),
    },
    tags=["yuqing", "C5", "G1", "G2", "G3"],
    doc_md=__doc__,
)
def yuqing_public_response() -> None:
    @task
    def prepare_draft(params: dict, run_id: str) -> dict:
        """起草: the draft from the template, filled from the case and its event (one per run)."""
        from yuqing.cases.service import get_case
        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.response.drafts import create_draft

        config = load_config()
        with session_scope() as session:
            case = get_case(session, params["case_number"])
            r = create_draft(session, config, case, template=params["template"], form=params["form"],
                             channels=list(params["channels"]), actor="system:public_response",
                             dag_run_id=run_id, now=utcnow())
            return {"response_id": r.id, "sha256": r.text_sha256}

    edit_draft = RecordedEntry(task_id="edit_draft", kind="draft", notifiers=[HitlMail()],
                               doc_md="撰稿人修改回应稿（留空或超时则采用系统草稿）。")

    @task
    def agencies_to_confirm(draft: dict) -> list[str]:
        """会签: the other agencies the (edited) text names; each must confirm."""
        from yuqing.cases.models import PublicResponse
        from yuqing.db import session_scope

        with session_scope() as session:
            response = session.get(PublicResponse, draft["response_id"])
            assert response is not None
            return list(response.agencies)

    prepare = prepare_draft()
    agencies = agencies_to_confirm(prepare)
    countersign = RecordedApproval.partial(
        task_id="countersign", kind="countersign", notifiers=[HitlMail()],
        map_index_template="{{ task.agency }}",
    ).expand(agency=agencies)

    approve_text = RecordedApproval(task_id="approve_text", kind="publication", notifiers=[HitlMail()],
                                    trigger_rule=TriggerRule.NONE_FAILED,
                                    doc_md="领导审核回应稿全文；批准的是这段确切文本（sha256 随审批记录）。")

    @task
    def publish(draft: dict) -> dict:
        """微博首发，再微信、网站；回读核验；文本须与审核通过的一字不差。"""
        import dataclasses

        from airflow.sdk.exceptions import AirflowFailException

        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.response.publish import PublicationRefused, publish_response
        from yuqing_airflow.channels import channels_from_connections

        config = load_config()
        try:
            outcome = publish_response(session_scope, config, draft["response_id"],
                                       channels_from_connections(config), now=utcnow)
        except PublicationRefused as exc:  # retrying cannot make an unapproved text approved
            raise AirflowFailException(str(exc)) from None
        return dataclasses.asdict(outcome)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def report(draft: dict, **context) -> dict:
        """Deliver the warnings and notices raised; the run fails if publication was refused or is partial."""
        from airflow.sdk.exceptions import AirflowFailException

        from yuqing.cases.models import PublicResponse
        from yuqing.db import session_scope
        from yuqing_airflow.case_notify import send_case_escalations
        from yuqing_airflow.delivery import send_pending_warnings

        sent = {"notices": send_case_escalations(context), "warnings": send_pending_warnings(context)}
        with session_scope() as session:
            response = session.get(PublicResponse, draft["response_id"])
            state = response.state if response else "missing"
        if state in ("refused", "partial", "publishing", "approved"):
            raise AirflowFailException(f"response {draft['response_id']} ended {state}: see the warning sent")
        return sent | {"response_state": state}

    prepare >> edit_draft >> agencies  # the agencies are those the text names *after* the drafter's edit
    countersign >> approve_text >> publish(prepare) >> report(prepare)


public_response_dag = yuqing_public_response()
