"""Public response (C5 公开回应, G1 领导审核, G2 微博优先): drafts, 会签, approval of the exact text, publication."""
