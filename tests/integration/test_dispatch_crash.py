"""A dispatcher killed with SIGKILL mid-batch, then restarted: every due alert goes once.

The dispatcher runs as `tracker alerts dispatch` in its own process, on the real twilio
SDK pointed at a fake Twilio server in this process. Each create is carried out at once
and answered a little later, so the kill lands while a message is accepted at "Twilio"
but not yet recorded as sent. A restart before the lease lapses must leave the dead
worker's claims alone; a restart after it must reconcile them against the provider's
message list (the in-flight one is found, not sent again) and send the rest.
"""

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fakes.twilio_server import SentMessage
from tracker.alerts.dispatcher import RECONCILE_DELAY
from tracker.domain.model import AlertState

from ..conftest import NOW
from .worker_support import (
    Workers,
    assert_no_personal_data,
    import_cases,
    kill,
    terminate,
    wait_until,
    workers,
)

CASES = 40
# Messages the fake accepts before the worker is killed: well inside the batch.
KILL_AFTER = 12
# How long the fake holds each create's answer (after carrying it out): the kill window.
CREATE_DELAY = 0.2
RATE_PER_SECOND = 20


@pytest.fixture
def crash(database_url: str, tmp_path: Path) -> Iterator[Workers]:
    with workers(database_url, tmp_path, rate_per_second=RATE_PER_SECOND) as made:
        yield made


def test_it_sends_every_due_alert_exactly_once_after_a_sigkill_mid_batch(crash: Workers) -> None:
    policy = crash.app.composer.policy
    assert policy.rate_per_second == RATE_PER_SECOND
    lapsed = NOW + timedelta(seconds=policy.lease_seconds) + RECONCILE_DELAY
    phones = import_cases(crash.app.engine, crash.app, crash.folder, CASES)
    assert [(a.kind, a.state, a.due_at) for a in crash.alerts()] == [
        ("welcome", AlertState.PLANNED, NOW)
    ] * CASES

    # 1. A worker takes the whole batch and is killed while a create awaits its answer.
    crash.twilio.create_delay = CREATE_DELAY
    worker = crash.start(NOW)
    try:
        wait_until(lambda: crash.twilio.wait_for_sent(KILL_AFTER, 0.2), "sends", worker)
    finally:
        kill(worker)
    at_kill = crash.twilio.sent
    assert KILL_AFTER <= len(at_kill) < CASES, "the kill did not land mid-batch"
    recorded = {a.recipient: a for a in crash.alerts() if a.state == AlertState.SENT}
    unrecorded = [m for m in at_kill if m.to not in recorded]
    # The message in flight: accepted by "Twilio", never recorded by the dead worker.
    assert len(unrecorded) == 1, [m.to for m in unrecorded]
    [in_flight] = unrecorded
    stuck = [a for a in crash.alerts() if a.state == AlertState.SENDING]
    assert len(stuck) == CASES - len(recorded)
    assert all(a.lease_until is not None and a.lease_until < lapsed for a in stuck)

    # 2. A restart while the dead worker's lease holds sends nothing, and guesses nothing.
    crash.twilio.create_delay = 0.0
    early = crash.run(NOW + timedelta(minutes=1))
    assert re.search(r"(?m)^0 sent, .* 0 interrupted claim\(s\) settled", early), early
    assert len(crash.twilio.sent) == len(at_kill)

    # 3. After the lease (and the reconcile delay): reconcile, then send what never went.
    outputs = []
    for later in (lapsed + timedelta(minutes=4), lapsed + timedelta(minutes=14)):
        outputs.append(crash.run(later))
        if all(a.state == AlertState.SENT for a in crash.alerts()):
            break
    alerts = crash.alerts()
    assert Counter(a.state for a in alerts) == {AlertState.SENT: CASES}, outputs
    # The dead worker shows in the log of the one that settled its claims.
    settled = len(stuck)
    assert f"WARNING tracker.alerts.dispatcher: {settled} alert claim(s) lapsed" in outputs[0]
    assert_no_personal_data("".join(outputs))

    sent = crash.twilio.sent
    assert Counter(m.to for m in sent) == Counter(phones), "a duplicate or a missing message"
    creates = [r for r in crash.twilio.requests if r.method == "POST"]
    assert len(creates) == CASES
    by_phone: dict[str | None, SentMessage] = {m.to: m for m in sent}
    for alert in alerts:
        message = by_phone[alert.recipient]
        assert (alert.provider_sid, alert.body) == (message.sid, message.body)
    # The in-flight message was found at the provider and recorded, not sent again.
    [reconciled] = [a for a in alerts if a.recipient == in_flight.to]
    assert reconciled.provider_sid == in_flight.sid
    assert reconciled.sent_at is not None and reconciled.sent_at > lapsed
    # What the dead worker had recorded stands as it was.
    for phone, before in recorded.items():
        assert by_phone[phone].sid == before.provider_sid


def test_it_finishes_the_message_in_flight_on_sigterm_and_releases_the_rest(
    crash: Workers,
) -> None:
    phones = import_cases(crash.app.engine, crash.app, crash.folder, CASES)
    crash.twilio.create_delay = CREATE_DELAY
    worker = crash.start(NOW, ("worker",))
    try:
        wait_until(lambda: crash.twilio.wait_for_sent(3, 0.2), "sends", worker)
    finally:
        output = terminate(worker)
    sent = crash.twilio.sent
    states = Counter(a.state for a in crash.alerts())
    # Every message Twilio accepted is on record; nothing is left half-claimed.
    assert states[AlertState.SENT] == len(sent)
    assert states[AlertState.PLANNED] == len(phones) - len(sent)
    assert states[AlertState.SENDING] == 0
    assert len(sent) < len(phones), "SIGTERM did not land mid-batch"
    assert "finishing the message in flight" in output
