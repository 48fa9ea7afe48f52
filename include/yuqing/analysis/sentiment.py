"""First sentiment scorer: our own lexicon plus rules for how Chinese complaints are phrased.

Why rules and not a model: nothing may be downloaded at run time, public sentiment lexicons have
unclear licences, and models trained on product reviews misread government affairs (a notice
that 依法打击非法宗教活动 is not angry; 真是好效率啊，三个月没人管 is). The rules live in
``yuqing/data/sentiment_rules.toml`` and the words in ``sentiment_lexicon.tsv`` so they can be
reviewed and grown without touching code:

- a sentiment word is flipped by a negator shortly before it (不满意), scaled by a degree
  adverb (非常失望), and ignored after a wish (希望尽快解决);
- after a contrast marker (但是/却/可是) the following clause dominates;
- rhetorical questions (难道…吗, 凭什么) and negative emoji push towards negative;
- with a sarcasm cue (呵呵, 真是好, 厉害了…) praise words count as complaints (mock praise);
- a problem in the same clause as its resolution (噪音问题已得到解决) is not a complaint;
- in a government notice, the office's own action words (打击/取缔/违法…) carry no sentiment.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from yuqing.analysis.segment import Segmenter

Label = Literal["negative", "neutral", "positive"]

_CLAUSE_END = frozenset("，,。.!！?？;；:：\n…~～、")
_FIRST_PERSON = re.compile(r"我(?![局市区县委省国院厅])")
_NOTICE_TITLE = re.compile(
    r"^(?:[^。！？!?]{0,20})?关于.{2,60}?的(?:通知|公告|通告|通报|说明|答复|回复|决定|意见|批复|函|公示|澄清说明|情况说明|情况通报)"
)
_QUESTION_HINT = re.compile(r"[?？吗么嘛谁]|难道|为什么|怎么|就这|是不是|到底|说好|不是说|提了|[天周月年]了|多少次|几次")
"""A cheap test before the rhetorical patterns run: most texts have none of these."""
_PLAIN_QUESTION_END = ("?", "吗", "么", "呢")
_WORD, _END, _CONTRAST = object(), object(), object()


@dataclass(slots=True)
class Sentiment:
    label: Label
    score: float
    """−1 (very negative) … 1 (very positive)."""
    evidence: tuple[str, ...] = ()
    """What moved the score, for explanations and tests (e.g. ``不+满意``, ``但是``, ``反问:凭什么``)."""


def load_lexicon() -> dict[str, float]:
    """The bundled word → value list (data/sentiment_lexicon.tsv)."""
    text = resources.files("yuqing.data").joinpath("sentiment_lexicon.tsv").read_text(encoding="utf-8")
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, value = line.split("\t")
        out[word.strip()] = float(value)
    return out


def load_rules() -> dict[str, Any]:
    """The bundled rules (data/sentiment_rules.toml)."""
    raw = resources.files("yuqing.data").joinpath("sentiment_rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


class SentimentScorer:
    """Scores normalised text; built once per configuration (extra words come from the config)."""

    def __init__(self, extra_negative: list[str], extra_positive: list[str], rules: dict[str, Any] | None = None):
        import ahocorasick_rs

        self.words = load_lexicon()
        self.words.update({w: -1.0 for w in extra_negative if w})
        self.words.update({w: 1.0 for w in extra_positive if w})
        r = rules or load_rules()
        self.negators = frozenset(r["negators"])
        self.window = int(r["negation_window"])
        self.negated_factor = float(r["negated_factor"])
        self.irrealis = frozenset(r["irrealis"])
        self.resolution = frozenset(r["resolution"])
        self.degree: dict[str, float] = dict(r["degree"])
        self.contrast = frozenset(r["contrast"]["markers"])
        self.contrast_before = float(r["contrast"]["before"])
        self.contrast_after = float(r["contrast"]["after"])
        self.rhetorical_value = float(r["rhetorical"]["value"])
        self.rhetorical_max = int(r["rhetorical"]["max_hits"])
        self.rhetorical_patterns = [re.compile(p) for p in r["rhetorical"]["patterns"]]
        self.sarcasm_alone = float(r["sarcasm"]["alone"])
        self.notice_strong = frozenset(r["notice"]["strong"])
        self.notice_min = int(r["notice"]["min_cues"])
        self.official_action = frozenset(r["notice"]["official_action"])
        self.notice_damping = float(r["notice"]["damping"])
        self.emoji: dict[str, float] = dict(r["emoji"])
        self.divisor = float(r["scale"]["divisor"])
        self.question_damping = float(r["scale"].get("question_damping", 1.0))
        self.neutral_band = float(r["scale"]["neutral_band"])
        # one automaton for the fixed markers that tokenisation would break apart ([怒], 凭什么 …)
        markers: dict[str, str] = {}
        for m in r["rhetorical"]["phrases"]:
            markers[m] = "rhetorical"
        for m in r["sarcasm"]["markers"]:
            markers[m] = "sarcasm"
        for m in list(r["notice"]["cues"]) + list(r["notice"]["strong"]):
            markers[m] = "notice"
        for m in self.emoji:
            markers[m] = "emoji"
        self.phrases: dict[str, float] = {k: float(v) for k, v in r.get("phrases", {}).items()}
        for m in self.phrases:
            markers[m] = "phrase"
        self._rhetorical_re = re.compile("|".join(f"(?:{p})" for p in r["rhetorical"]["patterns"]))
        self._degree_prefixes = sorted(((d, f) for d, f in self.degree.items() if len(d) <= 2), key=lambda x: -len(x[0]))
        kinds: dict[str, object] = {}
        for w in self.words:
            kinds[w] = _WORD
        for w in self.resolution:
            kinds[w] = _WORD
        for w in self.contrast:
            kinds[w] = _CONTRAST
        for w in _CLAUSE_END:
            kinds[w] = _END
        for w in (" ", "\n", "\t", "  "):
            kinds[w] = _END
        for w in list(self.negators) + list(self.degree) + list(self.irrealis):
            kinds.setdefault(w, None)
        self._kinds = {k: v for k, v in kinds.items() if v is not None}
        self._marker_list = list(markers)
        self._marker_kind = [markers[m] for m in self._marker_list]
        self._markers = ahocorasick_rs.AhoCorasick(self._marker_list)

    def segmenter_words(self) -> set[str]:
        """Words the segmenter must keep whole for the rules to see them (没人管, 不作为, 并不 …)."""
        return {w for w in self.words if len(w) > 1} | {w for w in self.negators if len(w) > 1} | {
            w for w in self.degree if len(w) > 1
        } | {w for w in self.contrast | self.irrealis | self.resolution if len(w) > 1}

    def is_notice(self, text: str, notice_cues: set[str]) -> bool:
        """A government notice: a strong cue or enough cues (or a 关于…的通知 title), and nobody speaking as 我."""
        if _FIRST_PERSON.search(text):
            return False
        if notice_cues & self.notice_strong or len(notice_cues) >= self.notice_min:
            return True
        return bool(_NOTICE_TITLE.match(text))

    def _lookup(self, tok: str) -> tuple[float, float] | None:
        """(value, degree) of a token: a lexicon word, or a degree adverb glued to one (非常感谢 → 1.8 × 感谢)."""
        value = self.words.get(tok)
        if value is not None:
            return value, 1.0
        if len(tok) >= 3:
            degree = self.degree
            factor = degree.get(tok[:2])
            if factor is not None:
                value = self.words.get(tok[2:])
                if value is not None:
                    return value, factor
            factor = degree.get(tok[:1])
            if factor is not None:
                value = self.words.get(tok[1:])
                if value is not None:
                    return value, factor
        return None

    def score(self, text: str, segmenter: Segmenter, tokens: list[str] | None = None) -> Sentiment:
        """Label and score of an already normalised text."""
        if not text:
            return Sentiment("neutral", 0.0)
        tokens = tokens if tokens is not None else segmenter.cut(text)
        found: dict[str, list[str]] = {"rhetorical": [], "sarcasm": [], "notice": [], "emoji": [], "phrase": []}
        for index, _s, _e in self._markers.find_matches_as_indexes(text):
            found[self._marker_kind[index]].append(self._marker_list[index])
        notice = self.is_notice(text, set(found["notice"]))
        evidence: list[str] = ["公告语境"] if notice else []

        positives: list[float] = []
        negatives: list[float] = []
        weight = 1.0
        clause_negatives: list[int] = []
        kinds = self._kinds
        lookup = self._lookup
        window = self.window
        clause_start = 0  # tokens[clause_start:i] is what precedes token i in its clause
        # only tokens that mean something are visited; the rest are read as a sentiment word's context
        for i in [i for i, t in enumerate(tokens) if t in kinds or (len(t) > 2 and lookup(t) is not None)]:
            tok = tokens[i]
            kind = kinds.get(tok, _WORD)
            if kind is _END:
                clause_start, clause_negatives = i + 1, []
                continue
            if kind is _CONTRAST:
                positives[:] = [v * self.contrast_before for v in positives]
                negatives[:] = [v * self.contrast_before for v in negatives]
                weight = self.contrast_after
                evidence.append("转折:" + tok)
                clause_start = i + 1
                continue
            before = tokens[max(clause_start, i - window) : i]
            if tok in self.resolution and not any(self._is_negator(t) for t in before):
                for j in clause_negatives:
                    negatives[j] = 0.0
                clause_negatives = []
                evidence.append("已解决:" + tok)
            looked = lookup(tok)
            if looked is not None and not (notice and self._official(tok)):
                value, factor = looked
                value, note = self._modify(value * factor, before)
                if value > 0:
                    positives.append(value * weight)
                elif value < 0:
                    clause_negatives.append(len(negatives))
                    negatives.append(value * weight)
                if value:
                    evidence.append(note + tok)

        emoji = sum(self.emoji[e] for e in found["emoji"])
        phrases = sum(self.phrases[p] for p in found["phrase"]) * (self.notice_damping if notice else 1.0)
        rhetorical = found["rhetorical"]
        if _QUESTION_HINT.search(text):
            rhetorical = rhetorical + [m.group() for m in self._rhetorical_re.finditer(text)]
        rhetorical_value = self.rhetorical_value * min(len(rhetorical), self.rhetorical_max)
        evidence += ["表情:" + e for e in found["emoji"]]
        evidence += ["短语:" + p for p in found["phrase"]]
        evidence += ["反问:" + r for r in rhetorical[: self.rhetorical_max]]
        positive = sum(positives)
        if not rhetorical and text.rstrip().endswith(_PLAIN_QUESTION_END):
            positive *= self.question_damping  # 捐款可以开发票吗: asking, not praising
        raw = positive + sum(negatives) + emoji + phrases + rhetorical_value
        if found["sarcasm"]:
            evidence.append("反讽:" + found["sarcasm"][0])
            raw += self.sarcasm_alone - 2 * positive - 2 * max(0.0, phrases)
        if notice:
            raw *= self.notice_damping
        score = math.tanh(raw / self.divisor)
        label: Label = "neutral"
        if score <= -self.neutral_band:
            label = "negative"
        elif score >= self.neutral_band:
            label = "positive"
        return Sentiment(label, round(score, 4), tuple(evidence))

    def _official(self, tok: str) -> bool:
        """The office's own action word in a notice (违规收费 contains 违规): no sentiment."""
        return tok in self.official_action or any(a in tok for a in self.official_action if len(a) > 1)

    def _is_negator(self, tok: str) -> bool:
        return tok in self.negators or (1 < len(tok) <= 3 and tok[-1] in "不没未" and tok not in self.words)

    def _modify(self, value: float, before: list[str]) -> tuple[float, str]:
        """Apply the negators, degree adverbs and wishes found just before a sentiment word."""
        note = ""
        negations = 0
        for tok in before:
            if self._is_negator(tok):
                negations += 1
                note += tok + "+"
            elif tok in self.degree:
                value *= self.degree[tok]
                note += tok + "+"
            elif tok in self.irrealis and value > 0:
                return 0.0, ""
        if negations % 2:
            value *= self.negated_factor
        return value, note
