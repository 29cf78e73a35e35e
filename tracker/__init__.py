"""Parole tracker: watches humanitarian parole deadlines and reminds the people they matter to."""
