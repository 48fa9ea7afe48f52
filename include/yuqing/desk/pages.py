"""Rendering of the desk's pages: the page contexts through ``templates/desk/*.html`` (autoescaped)."""

from __future__ import annotations

from typing import Any

from yuqing.templating import environment

NAV = (
    ("situation", "./", "今日态势"),
    ("warnings", "warnings", "预警"),
    ("cases", "cases", "案件"),
    ("approvals", "approvals", "待审批"),
    ("sources", "sources", "信源健康"),
)
"""The desk's pages with their hrefs, relative to the desk's root so any mount prefix works."""


def render(template: str, **context: Any) -> str:
    """One page as HTML; ``template`` is a name under ``templates/desk/``."""
    return environment().get_template(f"desk/{template}").render(nav=NAV, **context)
