"""The `tracker` command line: every operation an administrator needs."""
