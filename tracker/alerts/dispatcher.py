"""The dispatcher: claims due alerts, sends them, and records what happened.

Each alert goes through three short transactions, and the provider is called in none:
1. claim: planned and due -> sending, with this worker's name, a lease and the attempt
   counted (PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never take the same rows;
   SQLite: BEGIN IMMEDIATE serialises claims);
2. check: is it still worth sending (consent, the deadline still ahead, no newer reminder,
   inside the local sending window)? If not, it is suppressed, cancelled or moved. If so,
   its text is written now (tracker.alerts.render), true on the day it arrives, and kept
   as exactly what is sent;
3. record: the provider's answer, only if this worker still holds the claim.
Twilio has no idempotency key, so a timeout or 5xx means "maybe sent": the alert stays
`sending` until its lease lapses, then it is reconciled against the provider's own list of
messages before it is ever sent again. So does a send whose answer could not be recorded
(the database connection dropped), and a claim left by a dead worker lapses the same way.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer
from tracker.alerts.consent import stop_texting
from tracker.alerts.planner import can_text
from tracker.alerts.policy import ReminderPolicy, local_date, next_allowed, too_late
from tracker.alerts.render import Rendered, current_deadline, render_alert
from tracker.clock import Clock
from tracker.domain.model import AlertState
from tracker.metrics import SMS_ERRORS, SMS_SEND_SECONDS
from tracker.sms.base import SendResult, SmsBackend, SmsError, SmsErrorKind, mask_phone
from tracker.store.db import session_scope
from tracker.store.models import Alert, Parolee

log = logging.getLogger(__name__)
# Waiting this long after a "maybe sent" lets the provider's message list catch up.
RECONCILE_DELAY = timedelta(seconds=60)
RETRYABLE = (SmsErrorKind.RATE_LIMITED, SmsErrorKind.TRANSIENT, SmsErrorKind.CONFIGURATION)
LIVE = (AlertState.PLANNED, AlertState.SENDING, AlertState.SENT, AlertState.DELIVERED)


@dataclass
class DispatchOutcome:
    """What one dispatch pass did."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    # Not sent: no longer needed (consent, the date moved or passed, a newer reminder) ...
    not_needed: int = 0
    # ... or outside civil hours in the person's zone, moved to the window's opening.
    waiting: int = 0
    # Claims of a dead or timed-out worker settled: found already sent, or released.
    reconciled: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)


NOTHING_TO_SAY = "nothing left to say: the dates moved or passed"


@dataclass(frozen=True)
class _Verdict:
    """One of: set aside with (state, reason), wait until an instant, or send this text."""

    skip: tuple[AlertState, str] | None = None
    wait_until: datetime | None = None
    text: Rendered | None = None


@dataclass(frozen=True)
class Preview:
    """What a pass would do with one due alert, as `simulate` reports it."""

    alert_id: int
    recipient: str
    kind: str
    # The text that would go, or None with the reason it would not.
    body: str | None
    reason: str | None = None


@dataclass
class Dispatcher:
    """Sends due alerts through one SMS backend, at the policy's rate."""

    engine: Engine
    backend: SmsBackend
    composer: Composer
    clock: Clock
    worker: str
    status_callback: str | None = None
    sleep: Callable[[float], None] = time.sleep
    # Set from a SIGTERM handler: the pass stops after the message in flight.
    stopping: bool = False

    @property
    def policy(self) -> ReminderPolicy:
        """When and how hard to send."""
        return self.composer.policy

    def run_once(self, limit: int = 200) -> DispatchOutcome:
        """Reconcile lapsed claims, then claim and send up to `limit` due alerts."""
        outcome = DispatchOutcome()
        self.reconcile_lapsed(outcome)
        interval = 1.0 / self.policy.rate_per_second
        # Claim about a minute of sending at a time, so a claim never outlives its lease.
        chunk = max(1, min(limit, int(self.policy.rate_per_second * 60)))
        remaining = limit
        while remaining > 0 and not self.stopping:
            claimed = self.claim(min(chunk, remaining))
            if not claimed:
                break
            remaining -= len(claimed)
            for alert_id in claimed:
                if self.stopping:
                    self._release(alert_id)
                    continue
                started = time.monotonic()
                self._dispatch(alert_id, outcome)
                self.sleep(max(0.0, interval - (time.monotonic() - started)))
        return outcome

    def simulate(self, limit: int = 200) -> list[Preview]:
        """What a pass would send now, each text written as it would go; nothing is sent,
        claimed or recorded (the session is rolled back)."""
        now = self.clock.now()
        due = (
            select(Alert)
            .where(Alert.state == AlertState.PLANNED, col(Alert.due_at) <= now)
            .order_by(col(Alert.due_at), col(Alert.id))
            .limit(limit)
        )
        previews = []
        with Session(self.engine) as session:
            for alert in session.exec(due).all():
                previews.append(self._preview(session, alert, now))
            session.rollback()
        return previews

    def _preview(self, session: Session, alert: Alert, now: datetime) -> Preview:
        assert alert.id is not None
        recipient = mask_phone(alert.recipient)
        verdict = self._verdict(session, alert, now)
        if verdict.skip is not None:
            return Preview(alert.id, recipient, alert.kind, None, f"not needed: {verdict.skip[1]}")
        if verdict.wait_until is not None:
            opens = verdict.wait_until.astimezone(UTC).isoformat().replace("+00:00", "Z")
            return Preview(alert.id, recipient, alert.kind, None, f"waiting until {opens}")
        assert verdict.text is not None
        return Preview(alert.id, recipient, alert.kind, verdict.text.body)

    def _verdict(self, session: Session, alert: Alert, now: datetime) -> _Verdict:
        """What happens to a due alert now: set aside (and why), wait for the sending
        window, or go with this text. `_check` acts on it; `simulate` only reports it."""
        parolee = session.get(Parolee, alert.parolee_id)
        assert parolee is not None
        reason = self._why_not(session, alert, parolee, now)
        if reason is not None:
            return _Verdict(skip=reason)
        rendered = render_alert(session, alert, self.composer, now)
        if rendered is None:
            return _Verdict(skip=(AlertState.CANCELLED, NOTHING_TO_SAY))
        allowed = next_allowed(now, parolee.timezone, self.policy)
        if allowed > now:
            # Outside civil hours in the person's zone: wait for the window to open.
            return _Verdict(wait_until=allowed)
        return _Verdict(text=rendered)

    def claim(self, limit: int) -> list[int]:
        """Take up to `limit` due alerts for this worker, in one short transaction."""
        now = self.clock.now()
        due = (
            select(Alert.id)
            .where(Alert.state == AlertState.PLANNED, col(Alert.due_at) <= now)
            .order_by(col(Alert.due_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with session_scope(self.engine) as session:
            # Lock, then update, in two statements: in `UPDATE ... WHERE id IN (SELECT ...
            # LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL may run the subquery once per row
            # (a nested-loop semi join), each run skipping the rows just claimed and taking
            # more: one worker would take the whole backlog, past what its lease covers.
            ids = list(session.exec(due).all())
            if not ids:
                return []
            claimed = session.exec(
                update(Alert)
                .where(col(Alert.id).in_(ids))
                .where(col(Alert.state) == AlertState.PLANNED)
                .values(
                    state=AlertState.SENDING,
                    claimed_by=self.worker,
                    lease_until=now + timedelta(seconds=self.policy.lease_seconds),
                    # Stamped when the send is attempted: a claim alone sends nothing.
                    attempt_started_at=None,
                    updated_at=now,
                )
                .returning(col(Alert.id))
            ).all()
        return sorted(row[0] for row in claimed)

    def _dispatch(self, alert_id: int, outcome: DispatchOutcome) -> None:
        # From the moment the provider is asked, the message may exist there.
        asked = False
        try:
            alert = self._check(alert_id, outcome)
            if alert is None:
                return
            # `_check` sets aside erased alerts, and writes the text of the others.
            assert alert.recipient is not None and alert.body is not None
            asked = True
            try:
                with SMS_SEND_SECONDS.time():
                    result = self.backend.send(alert.recipient, alert.body, self.status_callback)
            except SmsError as error:
                self._failed_send(alert_id, error, outcome)
                return
            self._record_sent(alert_id, result)
            outcome.sent += 1
        except Exception as exc:  # a bug must not stop the other sends
            outcome.errors.append(f"alert {alert_id}: {type(exc).__name__}")
            self._set_aside(alert_id, exc, asked)

    def _set_aside(self, alert_id: int, exc: Exception, asked: bool) -> None:
        """After an internal error: retry later if the provider was not asked yet, else
        reconcile first. Recording its answer can fail (a dropped database connection)
        after it took the message: a retry could send it twice, its list cannot."""
        if not asked:
            log.exception("alert %s raised; set aside until its retry time", alert_id)
            self._retry_later(alert_id, f"internal error: {type(exc).__name__}", None)
            return
        log.exception("alert %s raised after its send; reconciling it first", alert_id)
        reason = f"internal error after the send: {type(exc).__name__}"
        self._await_reconcile(alert_id, SmsError(SmsErrorKind.MAYBE_SENT, reason))

    def _check(self, alert_id: int, outcome: DispatchOutcome) -> Alert | None:
        """The alert, its text written, if it should go now; else suppress, cancel or move
        it and return None."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            alert = self._mine(session, alert_id)
            if alert is None:
                return None
            verdict = self._verdict(session, alert, now)
            if verdict.skip is not None:
                state, text = verdict.skip
                _finish(alert, state, text, now)
                session.add(alert)
                outcome.not_needed += 1
                return None
            if verdict.wait_until is not None:
                alert.state, alert.claimed_by = AlertState.PLANNED, None
                alert.due_at = verdict.wait_until
                session.add(alert)
                outcome.waiting += 1
                return None
            rendered = verdict.text
            assert rendered is not None
            alert.body, alert.language, alert.segments = (
                rendered.body,
                rendered.language,
                rendered.segments,
            )
            # The attempt is on record, with its text and a fresh lease, before the
            # provider is called: a reconcile looks for exactly this text.
            alert.attempts += 1
            alert.attempt_started_at = now
            alert.lease_until = now + timedelta(seconds=self.policy.lease_seconds)
            session.add(alert)
            session.flush()
            session.expunge(alert)
            return alert

    def _why_not(
        self, session: Session, alert: Alert, parolee: Parolee, now: datetime
    ) -> tuple[AlertState, str] | None:
        if alert.recipient is None:
            return AlertState.CANCELLED, "the person's data was erased"
        if not can_text(parolee) or parolee.phone != alert.recipient:
            return AlertState.SUPPRESSED, "no SMS consent, opted out, or the number changed"
        if not alert.deadline_slot:
            return None
        deadline = current_deadline(session, alert.case_id, alert.deadline_slot)
        if deadline is None:
            return AlertState.CANCELLED, "the deadline no longer applies"
        if deadline.act_by != alert.about_date:
            return AlertState.CANCELLED, "the date moved"
        if deadline.act_by < local_date(now, parolee.timezone):
            return AlertState.SUPPRESSED, "the deadline has passed"
        if too_late(now, deadline.starts_at, self.policy):
            return AlertState.SUPPRESSED, "too close to the appointment's start"
        newer = session.exec(
            select(Alert.id).where(
                Alert.case_id == alert.case_id,
                Alert.deadline_slot == alert.deadline_slot,
                Alert.about_date == alert.about_date,
                col(Alert.offset_days) < alert.offset_days,
                col(Alert.due_at) <= now,
                col(Alert.state).in_(LIVE),
            )
        ).first()
        if newer is not None:
            return AlertState.SUPPRESSED, "a later reminder replaces it"
        return None

    def _record_sent(self, alert_id: int, result: SendResult) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            alert = self._mine(session, alert_id)
            if alert is None:
                log.warning("alert %s was sent but its claim had passed on", alert_id)
                return
            alert.provider_sid, alert.provider_status = result.sid, result.status
            _finish(alert, AlertState.SENT, None, now)
            alert.sent_at = now
            session.add(alert)

    def _failed_send(self, alert_id: int, error: SmsError, outcome: DispatchOutcome) -> None:
        SMS_ERRORS.labels(code=str(error.code or "none"), kind=error.kind.value).inc()
        if error.kind == SmsErrorKind.MAYBE_SENT:
            self._await_reconcile(alert_id, error)
            outcome.retried += 1
        elif error.kind in RETRYABLE:
            self._retry_later(alert_id, error.message, error.code)
            outcome.retried += 1
        else:
            self._give_up(alert_id, error)
            outcome.failed += 1

    def _await_reconcile(self, alert_id: int, error: SmsError) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            alert = self._mine(session, alert_id)
            if alert is not None:
                # The lookup waits for the provider's list to catch up, and at least as
                # long as a retry's backoff: a found-not-sent alert is tried again at once,
                # and creates failing while lookups answer must not spend every attempt
                # in the first minutes of an outage.
                wait = max(RECONCILE_DELAY, self._backoff(alert.attempts))
                alert.lease_until = now + wait
                alert.reason, alert.error_code = f"maybe sent: {error.message}", error.code
                session.add(alert)

    def _retry_later(
        self, alert_id: int, reason: str, code: int | None, *, wait: bool = True
    ) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            alert = self._mine(session, alert_id)
            if alert is None:
                return
            alert.reason, alert.error_code = reason, code
            if alert.attempts >= self.policy.max_attempts:
                _finish(
                    alert,
                    AlertState.FAILED,
                    f"gave up after {alert.attempts} attempts: {reason}",
                    now,
                )
            else:
                alert.state, alert.claimed_by, alert.lease_until = AlertState.PLANNED, None, None
                alert.due_at = now + self._backoff(alert.attempts) if wait else now
                alert.updated_at = now
            session.add(alert)

    def _give_up(self, alert_id: int, error: SmsError) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            alert = self._mine(session, alert_id)
            if alert is None:
                return
            alert.error_code = error.code
            _finish(alert, AlertState.FAILED, error.message, now)
            session.add(alert)
            if error.kind in (SmsErrorKind.OPTED_OUT, SmsErrorKind.UNREACHABLE):
                stop_texting(session, alert.parolee_id, error.kind, error.message, now)

    def _backoff(self, attempts: int) -> timedelta:
        base = self.policy.retry_base_seconds * 2 ** max(attempts - 1, 0)
        # Full jitter: workers that failed together do not retry together.
        return timedelta(seconds=random.uniform(base / 2, base))

    def _release(self, alert_id: int) -> None:
        with session_scope(self.engine) as session:
            alert = self._mine(session, alert_id)
            if alert is not None:
                alert.state, alert.claimed_by, alert.lease_until = AlertState.PLANNED, None, None
                session.add(alert)

    def _mine(self, session: Session, alert_id: int) -> Alert | None:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.state != AlertState.SENDING or alert.claimed_by != self.worker:
            return None
        return alert

    def reconcile_lapsed(self, outcome: DispatchOutcome) -> None:
        """Settle alerts whose claim lapsed (a dead worker, or a send that may have gone)."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            lapsed = session.exec(
                update(Alert)
                .where(col(Alert.state) == AlertState.SENDING, col(Alert.lease_until) < now)
                .values(claimed_by=self.worker, lease_until=now + RECONCILE_DELAY)
                .returning(col(Alert.id))
            ).all()
        if lapsed:
            # The one sign a worker left of dying mid-send (or of a send left unanswered).
            log.warning(
                "%d alert claim(s) lapsed (a worker stopped mid-send, or a send went "
                "unanswered): reconciling them with the provider",
                len(lapsed),
            )
        for (alert_id,) in lapsed:
            self._reconcile(alert_id, outcome)

    def _reconcile(self, alert_id: int, outcome: DispatchOutcome) -> None:
        with session_scope(self.engine) as session:
            alert = self._mine(session, alert_id)
            if alert is None:
                return
            session.expunge(alert)
        outcome.reconciled += 1
        if alert.attempt_started_at is None or alert.recipient is None or alert.body is None:
            # Claimed, never attempted, or erased since: nothing to look up, and the
            # release sends it back through `_check`.
            self._release(alert_id)
            return
        since = alert.attempt_started_at - timedelta(minutes=1)
        try:
            found = self.backend.find_sent(alert.recipient, alert.body, since)
        except SmsError as error:
            log.warning("could not reconcile alert %s yet: %s", alert_id, error)
            return
        if found is not None:
            self._record_sent(alert_id, found)
            outcome.recovered += 1
        else:
            log.info("alert %s to %s was not sent; retrying", alert_id, mask_phone(alert.recipient))
            # Known not sent: no reason to wait before trying again.
            reason = "not found at the provider after an interrupted send"
            self._retry_later(alert_id, reason, None, wait=False)


def _finish(alert: Alert, state: AlertState, reason: str | None, now: datetime) -> None:
    alert.state, alert.reason, alert.updated_at = state, reason, now
    alert.claimed_by, alert.lease_until = None, None
