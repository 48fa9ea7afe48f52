"""谣言核实 (C1 核实衔接): mark an event as 疑似谣言 / 误解, ask the verifying bodies, record the outcome.

The desk pages use ``VerificationView``, ``verifications_for_events`` and ``open_verifications``;
the service functions (marking, proposals from cue words, findings, conclusion) are in
``yuqing.verification.service``.
"""

from yuqing.verification.views import VerificationView, open_verifications, verifications_for_events

__all__ = ["VerificationView", "open_verifications", "verifications_for_events"]
