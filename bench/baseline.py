"""What the analysis would be with the usual off-the-shelf parts: the benchmark's baseline and floor.

- ``snownlp_pipeline``: the pipeline people write first — snownlp (0.12.3, its bundled model, no
  network) segments each text and scores its sentiment (positive ≥ 0.6, negative ≤ 0.4, else
  neutral: the usual thresholds), relevance is a substring test of every lexicon term, duplicates are
  an exact hash of the text, and events are formed by word-set Jaccard against every open event of the
  last 72 hours. Same jobs as ``yuqing analyze``, none of its engineering.
- ``segmentation_floor``: read and decode each line, normalise the text and cut it with rjieba — the
  least any analysis of these items must do; the full pipeline's speed is reported as a share of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

WINDOW = timedelta(hours=72)
JACCARD = 0.3


def snownlp_label(text: str) -> str:
    from snownlp import SnowNLP

    p = SnowNLP(text).sentiments
    return "positive" if p >= 0.6 else "negative" if p <= 0.4 else "neutral"


def snownlp_pipeline(records: Iterable[dict[str, Any]], terms: list[str]) -> list[dict[str, Any]]:
    from snownlp import SnowNLP

    seen: dict[str, Any] = {}
    events: list[tuple[Any, set[str], datetime]] = []
    out = []
    for rec in records:
        text = rec["text"]
        s = SnowNLP(text)
        words = {w for w in s.words if len(w) > 1}
        p = s.sentiments
        label = "positive" if p >= 0.6 else "negative" if p <= 0.4 else "neutral"
        matched = [t for t in terms if t in text]
        digest = hashlib.md5(text.encode("utf-8")).hexdigest()
        duplicate = seen.get(digest)
        if duplicate is None:
            seen[digest] = rec["id"]
        at = datetime.fromisoformat(rec["published_at"])
        event = None
        if matched:
            events = [e for e in events if at - e[2] <= WINDOW]
            best = 0.0
            for key, ws, _t in events:
                j = len(words & ws) / max(1, len(words | ws))
                if j >= JACCARD and j > best:
                    event, best = key, j
            if event is None:
                event = f"B{len(events)}:{rec['id']}"
                events.append((event, words, at))
        out.append({"id": rec["id"], "relevant": bool(matched), "sentiment": label, "duplicate_of": duplicate,
                    "event_id": event})
    return out


def segmentation_floor(path: Path) -> int:
    """Decode, normalise and cut every line of a ``yuqing analyze`` input file; returns the token count."""
    import msgspec
    import rjieba

    from yuqing.analysis.text import normalise

    jieba = rjieba.Jieba()
    decode = msgspec.json.Decoder().decode
    tokens = 0
    with open(path, "rb") as fh:
        for line in fh:
            rec = decode(line)
            tokens += len(jieba.cut(normalise(rec["text"]), True))
    return tokens


def lexicon_terms(config: Any) -> list[str]:
    lex = config.lexicons
    return sorted({*lex.agency_terms, *lex.places, *(t for c in lex.categories.values() for t in c.terms)})


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows
