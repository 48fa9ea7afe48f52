"""研判 (C2a): relevance, sentiment, duplicates, events and grading — on files or on the store.

``analyze_records``/``analyze_file`` need no database (the ``yuqing analyze`` contract);
``analyze_pending`` analyses stored items incrementally. Both use the same item analysis
(``engine``), duplicate finder (``dedup``), grouping (``events``) and grading (``grading``).
Heavy libraries (rjieba, ahocorasick_rs, datasketch) are imported when first used.
"""

from __future__ import annotations

from yuqing.analysis.records import AnalyzeFileReport, analyze_file, analyze_records
from yuqing.analysis.store import AnalysisSummary, analyze_pending

__all__ = ["AnalysisSummary", "AnalyzeFileReport", "analyze_file", "analyze_pending", "analyze_records"]
