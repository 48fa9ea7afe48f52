"""Who may see and do what on the desk, from the roster roles (person id = Airflow user name).

- monitor, leader, principal, admin (roster roles): every page, every case.
- handler: every page, but only the cases of their own unit (主办 or 协办).
- viewer: every page, read-only; with a ``unit`` only that unit's cases, without one all cases.
- acknowledging a warning: decided by the acknowledgement module (``may_acknowledge``); a viewer never.
- an Airflow user who is not on the roster: an Airflow *admin* reads every page (the people who run
  Airflow must see what it does) but cannot acknowledge, because an acknowledgement names a person on
  the roster; anyone else is refused with a page saying to be added to ``people`` in yuqing.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass

from yuqing.config import Config

ALL_CASES_ROLES = frozenset({"monitor", "leader", "principal", "admin"})


@dataclass(frozen=True)
class DeskUser:
    """The logged-in person as the desk sees them."""

    person_id: str
    name: str
    roles: frozenset[str]
    unit: str | None
    on_roster: bool
    airflow_admin: bool

    @property
    def allowed(self) -> bool:
        """May open the desk at all: on the roster, or an Airflow admin."""
        return self.on_roster or self.airflow_admin

    @property
    def case_units(self) -> frozenset[str] | None:
        """Units whose cases this person sees; ``None`` means every unit."""
        if not self.on_roster or self.roles & ALL_CASES_ROLES:
            return None
        if self.roles == {"viewer"} and self.unit is None:
            return None
        return frozenset({self.unit}) if self.unit else frozenset()

    @property
    def role_label(self) -> str:
        if not self.on_roster:
            return "Airflow 管理员（未列入名册，只读）"
        names = {"monitor": "监测员", "leader": "分管领导", "principal": "主要负责同志", "handler": "承办人",
                 "viewer": "只读", "admin": "管理员"}
        return "、".join(names.get(r, r) for r in sorted(self.roles))


def desk_user(config: Config, user_name: str, *, airflow_admin: bool = False) -> DeskUser:
    """The desk's view of an Airflow user: their roster entry if there is one."""
    person = next((p for p in config.people if p.id == user_name), None)
    if person is None:
        return DeskUser(user_name, user_name, frozenset(), None, False, airflow_admin)
    return DeskUser(person.id, person.name, frozenset(person.roles), person.unit, True, airflow_admin)


def may_acknowledge(config: Config, user: DeskUser) -> bool:
    """Whether the page offers (and accepts) an acknowledgement from this person."""
    if not user.on_roster:
        return False
    from yuqing.duty.acknowledgement import may_acknowledge as rule

    return bool(rule(config, user.person_id))
