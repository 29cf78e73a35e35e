"""CSV import of cases: every row checked first, then all written in one transaction."""
