"""Lexicon matching (relevance and topic categories) with one Aho-Corasick automaton.

Why Aho-Corasick: the office's lexicon grows to thousands of terms (agency names, places,
category terms, exclusions, rumour cues); one automaton finds all of them in a single pass over
the text, whatever their number. Matching is overlapping, so ``宗教活动场所管理科`` (an agency
unit) still also counts as ``宗教活动场所`` (a category term). A named religious venue that the
lexicon does not list (南山寺, 城隍庙 — two characters before 寺/庙/清真寺/教堂 …) counts for the
category that lists 寺庙/清真寺/教堂, and the office's own 我局 counts as naming the office.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from yuqing.analysis.text import normalise
from yuqing.config import Lexicons

_VENUE_NAME = re.compile(r"[^\W\d了还其说传去在的到是个座家们这那和与及从向被把给让也都就又再很才有没要去来上下里我你他她它a-z]{2}(?:清真寺|天主堂|福音堂|基督教堂|教堂|寺|庙|道观|宫观)")
"""A named religious venue (南山寺, 城隍庙, 天主堂): the lexicon cannot list every one in the region."""
_MAY_NAME_VENUE = re.compile("[寺庙堂观宫]")
_VENUE_NOT = frozenset({"一座寺", "一座庙", "个寺庙", "这座寺", "那座寺", "的寺", "小庙", "寺庙", "大寺"})
VENUE_MARKERS = ("宗教活动场所", "寺庙", "寺院", "清真寺", "教堂", "道观")
"""A category listing one of these terms is where unlisted venue names are counted."""
OFFICE_SELF = ("我局",)
"""How an office names itself in its own replies and notices: a mention of the office."""

WEAK_CATEGORY_WEIGHT = 0.5
"""A category below this weight (e.g. 政策解读: 通知/公告) is too generic to make an item relevant alone."""


@dataclass(slots=True)
class LexiconHits:
    """What one text matched, by kind; ``terms`` keeps the order of first appearance."""

    terms: tuple[str, ...] = ()
    agency: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclusions: tuple[str, ...] = ()
    rumour: tuple[str, ...] = ()


@dataclass(slots=True)
class Relevance:
    relevant: bool
    reason: str


class LexiconMatcher:
    """All configured terms in one automaton; built once per configuration."""

    def __init__(self, lexicons: Lexicons):
        import ahocorasick_rs  # imported here: only analysis needs it

        kinds: dict[str, set[str]] = defaultdict(set)
        for term in list(lexicons.agency_terms) + list(OFFICE_SELF):
            kinds[normalise(term)].add("agency")
        for term in lexicons.places:
            kinds[normalise(term)].add("place")
        for term in lexicons.exclusions:
            kinds[normalise(term)].add("exclusion")
        for term in lexicons.rumour_cues:
            kinds[normalise(term)].add("rumour")
        for name, category in lexicons.categories.items():
            for term in category.terms:
                kinds[normalise(term)].add("category:" + name)
        kinds.pop("", None)
        self._venue_category = next(
            (name for name, c in lexicons.categories.items() if any(m in c.terms for m in VENUE_MARKERS)), None
        )
        self._patterns = list(kinds)
        self._kinds = [frozenset(kinds[p]) for p in self._patterns]
        self._weights = {name: c.weight for name, c in lexicons.categories.items()}
        self._automaton = ahocorasick_rs.AhoCorasick(self._patterns) if self._patterns else None

    def category_weight(self, name: str) -> float:
        return self._weights.get(name, 0.0)

    def match(self, normalised_text: str) -> LexiconHits:
        """Every configured term in an already normalised text, grouped by what it signals."""
        if self._automaton is None or not normalised_text:
            return LexiconHits()
        terms: dict[str, None] = {}
        by_kind: dict[str, dict[str, None]] = defaultdict(dict)
        for index, _start, _end in self._automaton.find_matches_as_indexes(normalised_text, overlapping=True):
            term = self._patterns[index]
            terms[term] = None
            for kind in self._kinds[index]:
                by_kind[kind][term] = None
        if self._venue_category is not None and _MAY_NAME_VENUE.search(normalised_text):
            for venue in _VENUE_NAME.findall(normalised_text):
                if venue not in terms and venue not in _VENUE_NOT:
                    terms[venue] = None
                    by_kind["category:" + self._venue_category][venue] = None
        categories = {
            kind.removeprefix("category:"): tuple(found)
            for kind, found in by_kind.items()
            if kind.startswith("category:")
        }
        return LexiconHits(
            terms=tuple(terms),
            agency=tuple(by_kind.get("agency", ())),
            places=tuple(by_kind.get("place", ())),
            categories=dict(sorted(categories.items(), key=lambda kv: -self.category_weight(kv[0]))),
            exclusions=tuple(by_kind.get("exclusion", ())),
            rumour=tuple(by_kind.get("rumour", ())),
        )

    def relevance(self, hits: LexiconHits) -> Relevance:
        """Relevant = names the office, or a sensitive topic, or a weak topic in a local place.

        An exclusion term (招聘启事, 广告 …) makes an item irrelevant whatever else it matches:
        the office asked for those to be left out.
        """
        if hits.exclusions:
            return Relevance(False, "命中排除词：" + "、".join(hits.exclusions))
        if hits.agency:
            return Relevance(True, "提及本机关：" + "、".join(hits.agency))
        strong = [c for c in hits.categories if self.category_weight(c) >= WEAK_CATEGORY_WEIGHT]
        if strong:
            return Relevance(True, "涉及敏感类别：" + "、".join(strong))
        if hits.categories and hits.places:
            return Relevance(True, "本地" + "、".join(hits.places) + "涉及" + "、".join(hits.categories))
        return Relevance(False, "未命中本机关名称或敏感类别")
