"""Login and CSRF for the desk: Airflow's own JWT decides who is logged in; the roster decides the rest.

The mounted app gets no authentication from Airflow (airflow-plugin-pages.md §4), so every route that
shows or changes anything resolves the user here first: a Bearer header wins, else the ``_token``
cookie set by Airflow's login page. Unauthenticated HTML requests are redirected to the login page;
JSON requests get 401.

The acknowledge form is authenticated by a cookie the browser sends on its own, so it carries a CSRF
token: an HMAC of the session token under the desk's secret. Another site can neither read the page
(to copy the token) nor compute it; requests with a Bearer header need none (browsers never add one).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

COOKIE = "_token"


class NotLoggedIn(Exception):
    """No valid Airflow login on this request."""


async def airflow_user(request: Request):  # -> airflow BaseUser
    """The Airflow user of this request, or ``NotLoggedIn`` (missing, malformed or expired token)."""
    from airflow.api_fastapi.core_api.security import resolve_user_from_token

    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else request.cookies.get(COOKIE)
    try:
        return await resolve_user_from_token(token)
    except HTTPException as exc:
        raise NotLoggedIn(exc.detail) from None


def user_name(user) -> str:
    """The person id: the Airflow user name (SimpleAuthManager's id; FAB's ``username``)."""
    return str(getattr(user, "username", None) or user.get_name())


def is_airflow_admin(user) -> bool:
    """Airflow's own admin role (SimpleAuthManager ``admin``; FAB role ``Admin``)."""
    role = getattr(user, "role", None)
    if isinstance(role, str):
        return role.lower() == "admin"
    roles = getattr(user, "roles", None) or []
    return any(str(getattr(r, "name", r)).lower() == "admin" for r in roles)


def login_url(request: Request) -> str:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_url_login(next_url=request.url.path)


def _secret() -> bytes:
    secret = os.environ.get("YUQING_SECRET_KEY")
    if not secret:
        from airflow.configuration import conf

        secret = conf.get("api_auth", "jwt_secret", fallback="") or ""
    if not secret:
        raise RuntimeError("no secret for CSRF tokens: set YUQING_SECRET_KEY (or [api_auth] jwt_secret)")
    return secret.encode()


def csrf_token(request: Request) -> str:
    """The token the page embeds in its forms; tied to this browser's login session."""
    session = request.cookies.get(COOKIE, "")
    return hmac.new(_secret(), b"yuqing-desk-csrf\0" + session.encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """A cookie-authenticated POST must carry the page's token and come from this origin."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return True
    if not request.cookies.get(COOKIE) or not submitted:
        return False
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and origin != "null":
        parts = urlsplit(origin)
        hosts = {request.headers.get("host", request.url.netloc), request.headers.get("x-forwarded-host", "")}
        if parts.netloc not in hosts:  # behind a proxy that rewrites Host, X-Forwarded-Host names the site
            return False
    return hmac.compare_digest(csrf_token(request), submitted)
