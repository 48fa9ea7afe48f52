"""Exact and near-duplicate detection (reposts, copy-paste across sources).

How: each item is reduced to its repost core (``转发微博//@张三:`` and ``转自…`` removed, the
longest part of a repost chain kept), then to letters and digits. Exact copies share a sha256 of
that core. Near copies are found by MinHash over character 3-grams with LSH, and by the core's
first 24 characters (truncated reposts keep the beginning), then confirmed: the shorter text's
3-grams must be mostly contained in the longer one's and their ``rapidfuzz`` partial ratio high.

Why the fact check: two notices from one template (关于清风寺…的公示 / 关于慈云寺…的公示) look
alike to MinHash. They are different news when their facts differ, so a candidate is rejected
when the shorter text has a number or a configured place/agency name the longer one lacks, or
when an edited (not merely truncated or quoted) text has facts the other lacks.

Hashing is stable (``zlib.crc32`` of UTF-8 bytes, never Python's salted ``hash``), so signatures
agree between processes and runs.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from yuqing.analysis.text import content_chars, repost_core

NUM_PERM = 64
LSH_THRESHOLD = 0.5
SHINGLE = 3
PREFIX_CHARS = 24
MIN_CONTAINMENT = 0.8
MIN_PARTIAL_RATIO = 85.0
MIN_NEAR_CHARS = 12
"""Cores shorter than this are only compared exactly: 3-grams of a few characters prove nothing."""

_NUMBER = re.compile(r"\d+")


def _hash32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


@dataclass
class Fingerprint:
    """What the duplicate finder keeps of one item."""

    key: Any
    core: str
    exact: str
    shingles: frozenset[str]
    facts: frozenset[str]
    minhash: Any = field(default=None, repr=False)


def fingerprint(key: Any, normalised_text: str, entity_terms: tuple[str, ...] = ()) -> Fingerprint:
    """Reduce a normalised text to what duplicates are judged on."""
    core = content_chars(repost_core(normalised_text))
    shingles = frozenset(core[i : i + SHINGLE] for i in range(max(1, len(core) - SHINGLE + 1))) if core else frozenset()
    facts = frozenset(_NUMBER.findall(core)) | frozenset(t for t in entity_terms if t in core)
    return Fingerprint(key, core, hashlib.sha256(core.encode("utf-8")).hexdigest(), shingles, facts)


class DuplicateFinder:
    """An index of originals; ``check`` returns the original a new text duplicates, or None."""

    def __init__(self) -> None:
        from datasketch import MinHashLSH  # imported here: numpy/scipy are not needed elsewhere

        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self._permutations: Any = None
        self._exact: dict[str, Any] = {}
        self._prefix: dict[str, list[Any]] = {}
        self._by_key: dict[Any, Fingerprint] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def check(self, fp: Fingerprint) -> Any | None:
        """The key of the original ``fp`` duplicates, or None; does not add ``fp``."""
        if not fp.core:
            return None
        if fp.exact in self._exact:
            return self._exact[fp.exact]
        if len(fp.core) < MIN_NEAR_CHARS:
            return None
        candidates: list[Any] = list(self._prefix.get(fp.core[:PREFIX_CHARS], ()))
        candidates += self._lsh.query(self._minhash(fp))
        best, best_score = None, 0.0
        for key in dict.fromkeys(candidates):
            other = self._by_key[key]
            score = self._confirm(fp, other)
            if score > best_score:
                best, best_score = key, score
        return best

    def add(self, fp: Fingerprint) -> None:
        """Index ``fp`` as an original (callers never add duplicates, so chains stay one step)."""
        if not fp.core or fp.key in self._by_key:
            return
        self._by_key[fp.key] = fp
        self._exact.setdefault(fp.exact, fp.key)
        if len(fp.core) >= MIN_NEAR_CHARS:
            self._prefix.setdefault(fp.core[:PREFIX_CHARS], []).append(fp.key)
            self._lsh.insert(fp.key, self._minhash(fp), check_duplication=False)

    def _minhash(self, fp: Fingerprint) -> Any:
        if fp.minhash is None:
            from datasketch import MinHash

            if self._permutations is None:  # the same fixed seed for all; drawing them costs more than hashing
                self._permutations = MinHash(num_perm=NUM_PERM, hashfunc=_hash32).permutations
            mh = MinHash(num_perm=NUM_PERM, hashfunc=_hash32, permutations=self._permutations, scheme="affine32")
            mh.update_batch([s.encode("utf-8") for s in fp.shingles])
            fp.minhash = mh
        return fp.minhash

    @staticmethod
    def _confirm(a: Fingerprint, b: Fingerprint) -> float:
        """Similarity in 0..1 if ``a`` and ``b`` say the same thing, else 0."""
        short, long_ = (a, b) if len(a.core) <= len(b.core) else (b, a)
        if not short.facts <= long_.facts:
            return 0.0
        embedded = short.core in long_.core or long_.core.startswith(short.core[: len(short.core) * 9 // 10])
        if not embedded and short.facts != long_.facts:
            return 0.0  # edited text with a new number or name: an update, not a copy
        containment = len(short.shingles & long_.shingles) / max(1, len(short.shingles))
        if containment < MIN_CONTAINMENT:
            return 0.0
        from rapidfuzz import fuzz  # only reached by the few candidates that pass the cheap checks

        ratio = fuzz.partial_ratio(short.core, long_.core)
        if ratio < MIN_PARTIAL_RATIO:
            return 0.0
        return containment * ratio / 100
