"""A person's data: consent history, export and erasure."""
