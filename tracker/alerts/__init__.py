"""Reminders: the policy, the planner, the dispatcher and the message texts."""
