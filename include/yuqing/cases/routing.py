"""谁主管谁负责 (P2): route a case to its responsible unit by configured rules, and name who answers for it."""

from __future__ import annotations

from dataclasses import dataclass

from yuqing.config import Config


@dataclass(frozen=True)
class Routing:
    lead_unit: str
    co_units: list[str]
    rule: str
    first_responsible: str
    """第一责任人: the 分管领导 in charge of the lead unit."""
    direct_responsible: str | None
    """直接责任人: the lead unit's head."""


def route_case(config: Config, *, categories: list[str], text: str) -> Routing:
    """First rule whose category, keyword or place matches wins; else the configured default unit."""
    lead, co, rule_name = config.cases.default_unit, [], "默认（未匹配规则）"
    for rule in config.cases.routing:
        why = next((f"类别“{c}”" for c in rule.categories if c in categories), None)
        why = why or next((f"关键词“{k}”" for k in rule.keywords if k in text), None)
        why = why or next((f"地点“{p}”" for p in rule.places if p in text), None)
        if why:
            lead, co, rule_name = rule.unit, list(rule.co_units), f"{rule.name}：{why}"
            break
    # 协办: units of other matching rules join, so a multi-unit matter reaches everyone concerned.
    for rule in config.cases.routing:
        hit = any(c in categories for c in rule.categories) or any(k in text for k in rule.keywords)
        for unit in [rule.unit, *rule.co_units] if hit else []:
            if unit != lead and unit not in co:
                co.append(unit)
    unit = next(u for u in config.organisation.units if u.id == lead)
    return Routing(lead, co, rule_name, unit.leader, unit.head)
