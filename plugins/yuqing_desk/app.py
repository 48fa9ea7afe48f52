"""The desk's FastAPI app: five pages, their JSON twins, the acknowledge form and the mail ack link.

Routes (under the mount prefix ``/yuqing``):

- ``/`` 今日态势, ``/warnings`` 预警 (POST: acknowledge), ``/cases`` 案件, ``/approvals`` 待审批,
  ``/sources`` 信源健康 — HTML, Airflow login required (else a redirect to the login page);
- ``/api/situation|warnings|cases|approvals|sources`` and ``POST /api/warnings/{id}/acknowledge`` —
  JSON, login required (else 401);
- ``/ack/{token}`` — the signed link in a warning mail: no login (the token is the credential); GET
  asks for confirmation (mail scanners that prefetch links consume nothing), POST acknowledges.

Each response carries ``Server-Timing: app;dur=<ms>`` so the page's own time is visible in a browser.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from yuqing.clock import local_today, utcnow
from yuqing.config import Config, config_path, load_config
from yuqing.db import session_scope
from yuqing.desk import DeskUser, desk_user, render
from yuqing.desk.access import may_acknowledge
from yuqing.desk.approvals import approvals_page
from yuqing.desk.cases import cases_page
from yuqing.desk.situation import situation
from yuqing.desk.sources import sources_page
from yuqing.desk.warnings import warnings_page
from yuqing.templating import beijing
from yuqing_desk import auth

LINK_REFUSAL_STATUS = {"forged": 403, "expired": 410, "reused": 409, "already_acknowledged": 409, "closed": 409,
                       "not_found": 404}
"""HTTP status of a refused acknowledgement link, by the refusal's ``code``."""


class Refused(Exception):
    """A logged-in Airflow user the desk does not serve (not on the roster, not an Airflow admin)."""


@lru_cache(maxsize=4)
def _config_at(path: str, mtime: float) -> Config:
    return load_config(path)


def current_config() -> Config:
    """The roster and settings, reloaded when yuqing.yaml changes (no api-server restart needed)."""
    path = config_path()
    return _config_at(str(path), Path(path).stat().st_mtime)


async def _person(request: Request) -> DeskUser:
    user = await auth.airflow_user(request)
    person = desk_user(current_config(), auth.user_name(user), airflow_admin=auth.is_airflow_admin(user))
    if not person.allowed:
        raise Refused(person.person_id)
    return person


def _html(template: str, context: dict[str, Any], started: float, status: int = 200) -> HTMLResponse:
    body = render(template, **context)
    return HTMLResponse(body, status_code=status, headers=_timing(started))


def _timing(started: float) -> dict[str, str]:
    return {"Server-Timing": f"app;dur={(time.perf_counter() - started) * 1000:.1f}", "Cache-Control": "no-store"}


def _day(value: str | None) -> date:
    if not value:
        return local_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"day must be a date like 2026-01-31, got {value!r}") from None


def _situation(day: date) -> dict[str, Any]:
    with session_scope() as s:
        return situation(s, current_config(), day, now=utcnow())


def _warnings() -> dict[str, Any]:
    with session_scope() as s:
        return warnings_page(s, current_config(), now=utcnow())


def _cases(person: DeskUser) -> dict[str, Any]:
    with session_scope() as s:
        return cases_page(s, current_config(), units=person.case_units, now=utcnow())


def _approvals(person: DeskUser) -> dict[str, Any]:
    from yuqing_desk.hitl import pending_requests

    try:
        requests, unavailable = pending_requests(), ""
    except Exception as exc:  # the metadata DB is Airflow's; its trouble must not blank the page
        requests, unavailable = [], f"暂时无法读取 Airflow 的审批数据：{type(exc).__name__}"
    with session_scope() as s:
        context = approvals_page(s, requests, person_id=person.person_id, now=utcnow())
    context["unavailable"] = unavailable
    return context


def _sources() -> dict[str, Any]:
    with session_scope() as s:
        return sources_page(s, current_config(), now=utcnow())


def _acknowledge(warning_id: int, person: DeskUser) -> tuple[bool, str]:
    """Acknowledge as ``person`` through the duty area's rules; (done, message in Chinese)."""
    from yuqing.duty.acknowledgement import AcknowledgementRefused, acknowledge

    config = current_config()
    if not may_acknowledge(config, person):
        return False, f"{person.name}（{person.role_label}）无权确认预警。"
    try:
        with session_scope() as s:
            warning = acknowledge(s, config, warning_id, person.person_id, via="page", now=utcnow())
            title = warning.title
    except AcknowledgementRefused as exc:
        return False, str(exc.reason)
    except LookupError:
        return False, f"预警 {warning_id} 不存在。"
    return True, f"已确认预警「{title}」。"


def desk_app() -> FastAPI:
    """The app, built once per process (the plugin property may be read more than once)."""
    return _build()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once the api-server has started: freeze what startup allocated out of the cyclic GC.

    Why: Airflow's api-server holds a large heap after startup, and every full (generation 2)
    collection walks all of it — 250–550 ms measured (bench/desk_bench.py), landing on whichever
    request happens to allocate the trigger, typically the 1,000-row 案件 page. Frozen objects are
    skipped by later collections; the cost is that garbage cycles created before startup ended are
    never reclaimed (collected once here first).
    """
    gc.collect()
    gc.freeze()
    yield


@lru_cache(maxsize=1)
def _build() -> FastAPI:
    app = FastAPI(title="yuqing desk", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)

    @app.exception_handler(auth.NotLoggedIn)
    async def not_logged_in(request: Request, exc: auth.NotLoggedIn) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Not authenticated"}, status_code=401)
        return RedirectResponse(auth.login_url(request), status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        text = f"用户 {exc.args[0]} 未列入值班名册，不能使用舆情值班台。请联系管理员在 yuqing.yaml 的 people 中添加。"
        if _is_api(request):
            return JSONResponse({"detail": text}, status_code=403)
        return HTMLResponse(render("message.html", page="", heading="无权访问", kind="error", text=text, form=None,
                                   generated_at=""), status_code=403)

    @app.exception_handler(ValueError)
    async def bad_input(request: Request, exc: ValueError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return HTMLResponse(render("message.html", page="", heading="请求有误", kind="error", text=str(exc), form=None,
                                   generated_at=""), status_code=400)

    @app.get("/", response_class=HTMLResponse)
    async def situation_html(request: Request, day: str | None = None) -> Response:
        started, person = time.perf_counter(), await _person(request)
        return _html("situation.html", await run_in_threadpool(_situation, _day(day)) | {"user": person}, started)

    @app.get("/warnings", response_class=HTMLResponse)
    async def warnings_html(request: Request, acked: int | None = None) -> Response:
        started, person = time.perf_counter(), await _person(request)
        context = await run_in_threadpool(_warnings)
        message = {"kind": "ok", "text": f"已确认预警 {acked}。"} if acked else None
        return _html("warnings.html", context | _warnings_extra(request, person, message), started)

    @app.post("/warnings", response_class=HTMLResponse)
    async def warnings_acknowledge(request: Request) -> Response:
        started, person = time.perf_counter(), await _person(request)
        form = await request.form()
        if not auth.csrf_ok(request, str(form.get("csrf_token") or "")):
            return await _warnings_refused(request, person, "请求未通过安全校验（页面已过期或来源不明），请刷新页面后重试。",
                                           started)
        try:
            warning_id = int(str(form.get("warning_id", "")))
        except ValueError:
            return await _warnings_refused(request, person, "缺少要确认的预警编号。", started, status=400)
        done, text = await run_in_threadpool(_acknowledge, warning_id, person)
        if not done:
            return await _warnings_refused(request, person, text, started)
        return RedirectResponse(f"warnings?acked={warning_id}", status_code=303)

    async def _warnings_refused(request: Request, person: DeskUser, text: str, started: float,
                                status: int = 403) -> Response:
        context = await run_in_threadpool(_warnings)
        extra = _warnings_extra(request, person, {"kind": "error", "text": text})
        return _html("warnings.html", context | extra, started, status=status)

    def _warnings_extra(request: Request, person: DeskUser, message: dict[str, str] | None) -> dict[str, Any]:
        allowed = may_acknowledge(current_config(), person)
        return {"user": person, "can_acknowledge": allowed, "message": message,
                "csrf_token": auth.csrf_token(request) if allowed else ""}

    @app.get("/cases", response_class=HTMLResponse)
    async def cases_html(request: Request) -> Response:
        started, person = time.perf_counter(), await _person(request)
        return _html("cases.html", await run_in_threadpool(_cases, person) | {"user": person}, started)

    @app.get("/approvals", response_class=HTMLResponse)
    async def approvals_html(request: Request) -> Response:
        started, person = time.perf_counter(), await _person(request)
        return _html("approvals.html", await run_in_threadpool(_approvals, person) | {"user": person}, started)

    @app.get("/sources", response_class=HTMLResponse)
    async def sources_html(request: Request) -> Response:
        started, person = time.perf_counter(), await _person(request)
        return _html("sources.html", await run_in_threadpool(_sources) | {"user": person}, started)

    # JSON twins of the pages
    @app.get("/api/situation")
    async def situation_json(request: Request, day: str | None = None) -> Response:
        started = time.perf_counter()
        await _person(request)
        return JSONResponse(await run_in_threadpool(_situation, _day(day)), headers=_timing(started))

    @app.get("/api/warnings")
    async def warnings_json(request: Request) -> Response:
        started, person = time.perf_counter(), await _person(request)
        context = await run_in_threadpool(_warnings)
        context["can_acknowledge"] = may_acknowledge(current_config(), person)
        return JSONResponse(context, headers=_timing(started))

    @app.get("/api/cases")
    async def cases_json(request: Request) -> Response:
        started, person = time.perf_counter(), await _person(request)
        return JSONResponse(await run_in_threadpool(_cases, person), headers=_timing(started))

    @app.get("/api/approvals")
    async def approvals_json(request: Request) -> Response:
        started, person = time.perf_counter(), await _person(request)
        return JSONResponse(await run_in_threadpool(_approvals, person), headers=_timing(started))

    @app.get("/api/sources")
    async def sources_json(request: Request) -> Response:
        started = time.perf_counter()
        await _person(request)
        return JSONResponse(await run_in_threadpool(_sources), headers=_timing(started))

    @app.post("/api/warnings/{warning_id}/acknowledge")
    async def acknowledge_json(request: Request, warning_id: int) -> Response:
        person = await _person(request)
        if not auth.csrf_ok(request, request.headers.get("x-csrf-token")):
            return JSONResponse({"detail": "CSRF token missing or wrong (send a Bearer token, or X-CSRF-Token)"},
                                status_code=403)
        done, text = await run_in_threadpool(_acknowledge, warning_id, person)
        return JSONResponse({"acknowledged": done, "message": text}, status_code=200 if done else 403)

    # the signed link in a warning mail: no Airflow login
    @app.get("/ack/{token}", response_class=HTMLResponse)
    async def ack_link_confirm(token: str) -> Response:
        return await run_in_threadpool(_ack_link, token, False)

    @app.post("/ack/{token}", response_class=HTMLResponse)
    async def ack_link_do(token: str) -> Response:
        return await run_in_threadpool(_ack_link, token, True)

    return app


def _is_api(request: Request) -> bool:
    return "/api/" in request.url.path


def _ack_link(token: str, consume: bool) -> HTMLResponse:
    """GET: say what will be acknowledged and ask; POST: acknowledge. Refusals: a Chinese page, 4xx."""
    from yuqing.duty.acknowledgement import AcknowledgementRefused, acknowledge_with_link, peek_link
    from yuqing.models import EarlyWarning

    config, now = current_config(), utcnow()

    def page(status: int, heading: str, kind: str, text: str, form: dict[str, str] | None = None) -> HTMLResponse:
        body = render("message.html", page="", root="../", heading=heading, kind=kind, text=text, form=form,
                      generated_at=beijing(now))
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store",
                                                               "Referrer-Policy": "no-referrer"})

    try:
        if consume:
            with session_scope() as s:
                warning = acknowledge_with_link(s, config, token, now=now)
                title, who = warning.title, warning.acknowledged_by
            name = next((p.name for p in config.people if p.id == who), who)
            return page(200, "预警已确认", "ok", f"{name} 已确认收到预警「{title}」。")
        warning_id, person_id = peek_link(config, token, now=now)
        with session_scope() as s:
            warning = s.get(EarlyWarning, warning_id)
            title = warning.title if warning else f"#{warning_id}"
        name = next((p.name for p in config.people if p.id == person_id), person_id)
        return page(200, "确认预警", "ok", f"预警「{title}」将以 {name} 的名义确认收到。",
                    form={"question": "确认后，值班记录将显示您已收到此预警。", "button": "确认收到"})
    except AcknowledgementRefused as exc:
        return page(LINK_REFUSAL_STATUS.get(exc.code, 403), "无法确认预警", "error", str(exc.reason))

