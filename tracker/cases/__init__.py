"""Cases: their facts, deadlines, status history and program terminations."""
