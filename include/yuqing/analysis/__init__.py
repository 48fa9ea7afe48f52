"""研判 (C2a): relevance, sentiment, duplicates, events and grading — on files or on the store.

``analyze_records``/``analyze_file`` need no database (the ``yuqing analyze`` contract);
``analyze_pending`` analyses stored items incrementally. Both use the same item analysis
(``engine``), duplicate finder (``dedup``), grouping (``events``) and grading (``grading``).
The public names are loaded on first use (PEP 562), so importing the area's table module
(``yuqing.analysis.models``, which every store user imports) costs no numpy, rjieba or automaton.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yuqing.analysis.records import AnalyzeFileReport, analyze_file, analyze_records
    from yuqing.analysis.store import AnalysisSummary, analyze_pending

__all__ = ["AnalysisSummary", "AnalyzeFileReport", "analyze_file", "analyze_pending", "analyze_records"]

_WHERE = {
    "AnalyzeFileReport": "records",
    "analyze_file": "records",
    "analyze_records": "records",
    "AnalysisSummary": "store",
    "analyze_pending": "store",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'yuqing.analysis' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"yuqing.analysis.{module}"), name)
    globals()[name] = value
    return value
