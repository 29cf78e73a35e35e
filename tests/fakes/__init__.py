"""Fakes of the services the tracker talks to, for tests."""
