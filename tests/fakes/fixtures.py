"""Pytest fixtures for the fakes; register with `pytest_plugins = ["tests.fakes.fixtures"]`."""

from collections.abc import Iterator

import pytest

from tests.fakes.twilio_server import CallbackSink, FakeTwilioServer


@pytest.fixture
def twilio_server() -> Iterator[FakeTwilioServer]:
    """A fake Twilio API on loopback, started for one test; fails the test on a fake bug."""
    server = FakeTwilioServer().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"the fake Twilio server failed: {server.errors!r}"


@pytest.fixture
def callback_sink() -> Iterator[CallbackSink]:
    """A loopback endpoint recording the status callbacks the fake posts."""
    sink = CallbackSink().start()
    try:
        yield sink
    finally:
        sink.stop()
