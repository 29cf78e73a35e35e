"""Interval jobs. The database decides what is due; the scheduler only keeps time."""
