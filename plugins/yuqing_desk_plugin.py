"""The 舆情 entry in the Airflow UI: the on-duty desk (今日态势, 预警, 案件, 待审批, 信源健康).

Every Airflow process imports plugin modules (task processes too), so this module stays cheap: the
FastAPI app is built only when the api-server asks for ``fastapi_apps``.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin


class YuqingDeskPlugin(AirflowPlugin):
    """Mounts the desk at ``/yuqing/`` and adds 舆情 to the navigation (shown in an iframe)."""

    name = "yuqing_desk"
    external_views = [  # noqa: RUF012 - the plugin interface is a class attribute
        {
            "name": "舆情",
            "href": "yuqing/",  # relative: follows [api] base_url when Airflow is served under a prefix
            "url_route": "yuqing",
            "destination": "nav",
            "nav_top_level": True,
        }
    ]

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]
        from yuqing_desk.app import desk_app

        return [{"name": "yuqing_desk", "app": desk_app(), "url_prefix": "/yuqing"}]
