"""Every module that defines tables, imported together so Alembic sees the whole schema.

A new area of the store (cases, reports, …) keeps its models in its own module and adds one
import line here; its migration is a branch off ``0001`` (or depends on the revision it refers to),
and ``yuqing db upgrade`` applies every head.
"""

from yuqing import models  # noqa: F401  (core: sources, items, events, warnings, audit log)
from yuqing.analysis import models as _analysis_models  # noqa: F401  (keyword counts for velocity)
from yuqing.cases import models as _case_models  # noqa: F401  (cases, approvals, responses)
from yuqing.duty import models as _duty_models  # noqa: F401  (acknowledgement links, escalations, handovers)
from yuqing.models import Base
from yuqing.ops import models as _ops_models  # noqa: F401  (retention: indexes on items/events)
from yuqing.reports import models as _reports_models  # noqa: F401  (reports, deliveries)
from yuqing.risk import models as _risk_models  # noqa: F401  (decisions, assessments)
from yuqing.verification import models as _verification_models  # noqa: F401  (谣言核实)

__all__ = ["Base"]
