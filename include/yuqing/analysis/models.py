"""The analysis area's own table: keyword counts per 10 minutes, the baseline of the σ-spike.

Why stored: a collection run analyses a few dozen items every 15 minutes; whether 20 posts naming
清风寺 in the last hour is a spike depends on how often 清风寺 was named in the 7 days before, and
that history is older than any single run. Only places and category terms are counted (the
lexicon's few hundred terms), and counts older than 8 days are deleted, so the table stays small
(terms × 1,152 slots at most).
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yuqing.models import Base


class KeywordCount(Base):
    """How many analysed relevant items named a keyword in one 10-minute slot (``grading.time_slot``)."""

    __tablename__ = "analysis_keyword_counts"

    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, comment="Unix time // 600")
    count: Mapped[int] = mapped_column(Integer, default=0)
