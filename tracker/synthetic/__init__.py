"""Synthetic caseloads at scale: N clearly fake cases, written fast, for benchmarks and
demonstrations (`tracker synthetic N`). Never for a database holding real people's cases
unless they are meant to sit beside fakes: every synthetic case's external id starts SYN.
"""

from tracker.synthetic.load import LoadReport, generate, representative_email

__all__ = ["LoadReport", "generate", "representative_email"]
