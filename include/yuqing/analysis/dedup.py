"""Exact and near-duplicate detection (reposts, copy-paste across sources), in a bounded window.

How: each item is reduced to its repost core (``转发微博//@张三:`` and ``转自…`` removed, the
longest part of a repost chain kept, a trailing ``…全文`` dropped), then to letters and digits.

- Exact copies share a 16-byte blake2b digest of that core.
- Near copies are found by MinHash over character 3-grams with LSH (32 hash functions in 8 bands
  of 4 rows: two texts whose 3-gram Jaccard is 0.5 meet in some band with probability ~0.40, at 0.8
  with ~0.985, at 0.9 with ~0.9996 — an edited copy is above 0.85; fewer template look-alikes reach
  the confirmation), and by the core's first 16 characters (a truncated repost keeps the beginning).
  MinHash is computed with numpy on the whole 3-gram array at once: a 3-gram hash is a fixed
  polynomial of its three code points, then 32 multiply-shift hash functions with fixed seeds.
  Nothing uses Python's salted ``hash``, so signatures agree between processes and runs.
- Candidates are confirmed: a text whose core is embedded in the other's (truncation, a comment
  added, a quotation) is a copy; an edited text must share its facts, contain ≥ 80 % of its
  3-grams in the other, and differ from it (``rapidfuzz`` Levenshtein distance) by at most one
  character in 25 — a typo or a changed character, not another word.

Why the fact check: two notices from one template (关于清风寺…的公示 / 关于慈云寺…的公示) look
alike to MinHash. They are different news when their facts differ: a number, a configured
place/agency name, a named place (the two characters before 寺/庙/观/堂/区/县/镇/路 …), or a
person's name (a surname before 等/同志/主任/法师 …).

MinHash LSH runs for relevant items only (the caller sets ``Fingerprint.near``): it is the costliest
step per item, and an edited copy of a post about football is nobody's business. Every item is
still checked for exact copies and against the prefix index, which catches what reposts mostly
are — a prefix or a comment added, a chain, a cut-off tail, changed punctuation or spacing.

Why bounded: a stream of a million items must not keep a million fingerprints. The index keeps
originals seen within ``window`` (stream time: each item's own ``published_at``) and at most
``capacity`` of them, the oldest dropped first; an LSH bucket keeps its ``MAX_BUCKET`` newest keys.
A repost of something older than the window (72 h by default) is then taken as an original, which
is what the office wants anyway: it is news again.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from yuqing.analysis.text import content_chars, repost_core

NUM_PERM = 32
BANDS = 8
ROWS = NUM_PERM // BANDS
SHINGLE = 3
PREFIX_CHARS = 16
MIN_CONTAINMENT = 0.8
EDIT_SHARE = 25
"""An edited copy changes at most one character in this many (at least 1): a typo, a short word."""
MIN_NEAR_CHARS = 12
"""Cores shorter than this are only compared exactly: 3-grams of a few characters prove nothing."""
MAX_BUCKET = 16
"""Newest keys kept per LSH band bucket or prefix: a template shared by thousands stays cheap."""
MAX_CONFIRM = 8
"""Candidates confirmed per item, those meeting in most bands first."""
DEFAULT_CAPACITY = 200_000

_NUMBER = re.compile(r"\d+")
_SURNAMES = (
    "张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_NAMED_PLACE = re.compile(r"[\u4e00-\u9fff]{2}(?:清真寺|教堂|寺|庙|观|堂|宫|庵|区|县|镇|乡|村|路|街|巷)")
_PERSON = re.compile(
    f"[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}?(?=等|同志|先生|女士|老师|师傅|主任|局长|科长|书记|处长|所长|法师|阿訇|牧师|道长|住持)"
)
_TITLED_PERSON = re.compile(
    "(?:工作人员|干部|记者|局长|主任|科长|书记|法师|阿訇|牧师|道长|住持|网民|市民|村民|居民|师傅|联系人|负责人)"
    f"([{_SURNAMES}][\u4e00-\u9fff]{{1,2}})"
)

_FACT = re.compile(f"(\\d+)|{_TITLED_PERSON.pattern}|({_PERSON.pattern}|{_NAMED_PLACE.pattern})")
"""Numbers, persons and named places in one pass (group 2 is a titled person's name)."""

_P = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_rng = np.random.default_rng(20261125)  # fixed: signatures must be the same in every process
_A = (_rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)).reshape(-1, 1)
_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64).reshape(-1, 1)
_S29, _S32 = np.uint64(29), np.uint64(32)


def shingle_hashes(core: str) -> np.ndarray:
    """64-bit hashes of the core's character 3-grams, in text order (stable across processes)."""
    cps = np.frombuffer(core.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(cps) < SHINGLE:
        cps = np.concatenate([cps, np.zeros(SHINGLE - len(cps), dtype=np.uint64)])
    h = cps[:-2] * _P[0] + cps[1:-1] * _P[1] + cps[2:] * _P[2]
    h ^= h >> _S29
    h *= _MIX
    h ^= h >> _S32
    return h


def minhash_signature(shingles: np.ndarray) -> np.ndarray:
    """``NUM_PERM`` minimum hash values (uint32) over multiply-shift hash functions with fixed seeds."""
    return ((_A * shingles + _B) >> _S32).min(axis=1).astype(np.uint32)


@dataclass(eq=False)
class Fingerprint:
    """What the duplicate finder keeps of one item."""

    key: Any
    core: str
    exact: bytes
    facts: frozenset[str]
    at: datetime | None = None
    near: bool = True
    """Also look for near copies (LSH); False: exact copies only (an item no one will read twice)."""
    _shingles: np.ndarray | None = field(default=None, repr=False)
    _signature: np.ndarray | None = field(default=None, repr=False)

    @property
    def shingles(self) -> np.ndarray:
        if self._shingles is None:
            self._shingles = shingle_hashes(self.core)
        return self._shingles

    @property
    def shingle_set(self) -> frozenset[int]:
        """The distinct 3-gram hashes (for containment; built only for confirmed candidates)."""
        return frozenset(self.shingles.tolist())

    @property
    def signature(self) -> np.ndarray:
        if self._signature is None:
            self._signature = minhash_signature(self.shingles)
        return self._signature

    def band_keys(self) -> list[bytes]:
        raw = self.signature.tobytes()
        width = ROWS * 4
        return [raw[i * width : (i + 1) * width] for i in range(BANDS)]


def fingerprint(
    key: Any, normalised_text: str, entity_terms: tuple[str, ...] = (), at: datetime | None = None, entities: Any = None
) -> Fingerprint:
    """Reduce a normalised text to what duplicates are judged on.

    ``entities`` (an Aho-Corasick automaton over ``entity_terms``) finds them in one pass; without
    it each term is looked up with ``in``.
    """
    core = content_chars(repost_core(normalised_text))
    facts = {a or b or c for a, b, c in _FACT.findall(core)}
    if entities is not None:
        facts.update(entity_terms[i] for i, _s, _e in entities.find_matches_as_indexes(core))
    else:
        facts.update(t for t in entity_terms if t in core)
    return Fingerprint(key, core, hashlib.blake2b(core.encode("utf-8"), digest_size=16).digest(), frozenset(facts), at)


def _common_affixes(a: str, b: str) -> tuple[int, int]:
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    return p, s


def confirm(a: Fingerprint, b: Fingerprint) -> float:
    """Similarity in 0..1 if ``a`` and ``b`` say the same thing, else 0."""
    short, long_ = (a, b) if len(a.core) <= len(b.core) else (b, a)
    if short.core in long_.core:
        return 1.0  # truncated, quoted or commented: the same words (a cut-off number is no new fact)
    if not short.facts <= long_.facts:
        return 0.0
    if short.facts != long_.facts:
        return 0.0  # an edited text with a new number or name: an update, not a copy
    s = short.shingle_set
    containment = len(s & long_.shingle_set) / max(1, len(s))
    if containment < MIN_CONTAINMENT:
        return 0.0
    from rapidfuzz.distance import (
        Levenshtein,  # only reached by the few candidates that pass the cheap checks
    )

    edits = Levenshtein.distance(short.core, long_.core, score_cutoff=max(1, len(short.core) // EDIT_SHARE) + 1)
    if edits > max(1, len(short.core) // EDIT_SHARE):
        return 0.0
    return containment * (1 - edits / max(1, len(short.core)))


class DuplicateFinder:
    """A bounded index of originals; ``check`` returns the original a new text duplicates, or None."""

    def __init__(self, window: timedelta | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        self.window = window
        self.capacity = capacity
        self._by_key: dict[Any, Fingerprint] = {}
        self._order: deque[Fingerprint] = deque()
        self._exact: dict[bytes, Any] = {}
        self._prefix: dict[str, list[Any]] = {}
        self._bands: list[dict[bytes, list[Any]]] = [{} for _ in range(BANDS)]
        self.latest: datetime | None = None
        self.expired = 0

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: Any) -> bool:
        return key in self._by_key

    def check(self, fp: Fingerprint) -> Any | None:
        """The key of the original ``fp`` duplicates, or None; does not add ``fp``."""
        if not fp.core:
            return None
        original = self._exact.get(fp.exact)
        if original is not None:
            return original
        if len(fp.core) < MIN_NEAR_CHARS:
            return None
        by_key = self._by_key
        # truncation: a prefix-bucket member that starts with the new core (or vice versa) is a copy
        for key in reversed(self._prefix.get(fp.core[:PREFIX_CHARS], ())):
            other = by_key[key]
            if (other.core.startswith(fp.core) or fp.core.startswith(other.core)) and confirm(fp, other):
                return key
        if not fp.near:
            return None
        hits: Counter[Any] = Counter()
        for band, bucket_key in zip(self._bands, fp.band_keys(), strict=True):
            bucket = band.get(bucket_key)
            if bucket:
                hits.update(bucket)
        if not hits:
            return None
        best, best_score = None, 0.0
        for key, _n in hits.most_common(MAX_CONFIRM):
            score = confirm(fp, by_key[key])
            if score > best_score:
                best, best_score = key, score
        return best

    def add(self, fp: Fingerprint) -> None:
        """Index ``fp`` as an original (callers never add duplicates, so chains stay one step)."""
        if not fp.core or fp.key in self._by_key:
            return
        if fp.at is not None and (self.latest is None or fp.at > self.latest):
            self.latest = fp.at
        self._by_key[fp.key] = fp
        self._order.append(fp)
        self._exact.setdefault(fp.exact, fp.key)
        if len(fp.core) >= MIN_NEAR_CHARS:
            _push(self._prefix.setdefault(fp.core[:PREFIX_CHARS], []), fp.key)
        if len(fp.core) >= MIN_NEAR_CHARS and fp.near:
            for band, bucket_key in zip(self._bands, fp.band_keys(), strict=True):
                _push(band.setdefault(bucket_key, []), fp.key)
        self.expire()

    def expire(self, now: datetime | None = None) -> int:
        """Drop originals older than the window (before ``now`` or the newest item) or over capacity."""
        now = now or self.latest
        cutoff = now - self.window if (self.window is not None and now is not None) else None
        dropped = 0
        while self._order:
            oldest = self._order[0]
            too_old = cutoff is not None and oldest.at is not None and oldest.at < cutoff
            if not too_old and len(self._order) <= self.capacity:
                break
            self._order.popleft()
            self._remove(oldest)
            dropped += 1
        self.expired += dropped
        return dropped

    def _remove(self, fp: Fingerprint) -> None:
        del self._by_key[fp.key]
        if self._exact.get(fp.exact) == fp.key:
            del self._exact[fp.exact]
        if len(fp.core) < MIN_NEAR_CHARS:
            return
        _pull(self._prefix, fp.core[:PREFIX_CHARS], fp.key)
        if not fp.near:
            return
        for band, bucket_key in zip(self._bands, fp.band_keys(), strict=True):
            _pull(band, bucket_key, fp.key)


def _push(bucket: list[Any], key: Any) -> None:
    bucket.append(key)
    if len(bucket) > MAX_BUCKET:
        del bucket[0]


def _pull(index: dict[Any, list[Any]], bucket_key: Any, key: Any) -> None:
    bucket = index.get(bucket_key)
    if bucket is None:
        return
    try:
        bucket.remove(key)
    except ValueError:
        return  # already pushed out of a full bucket
    if not bucket:
        del index[bucket_key]
