"""FabAuthManager for yuqing: HITL steps are assigned to roster person ids, which are FAB user names.

Airflow's default ``is_authorized_hitl_task`` compares the assigned ids with ``user.get_id()``;
under FAB that is the numeric ``ab_user.id``, so every assignee would be refused (403). yuqing
assigns steps by person id (= the user name ``yuqing users sync`` creates), so compare names.
Named in ``AIRFLOW__CORE__AUTH_MANAGER`` as ``yuqing_airflow.auth.YuqingFabAuthManager``.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager


class YuqingFabAuthManager(FabAuthManager):
    """FAB with HITL assignments matched on the user name (the roster's person id)."""

    def is_authorized_hitl_task(self, *, assigned_users: set[str], user: Any) -> bool:
        return user.get_name() in assigned_users
