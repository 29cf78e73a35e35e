"""SmsBackend for development: prints each message (number masked) and keeps it in memory."""

import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from tracker.clock import Clock, SystemClock
from tracker.sms.base import SendResult, mask_phone
from tracker.sms.segments import segments

PREVIEW_CHARS = 40


@dataclass(frozen=True)
class ConsoleMessage:
    sid: str
    to: str
    body: str
    status_callback: str | None
    sent_at: datetime


class ConsoleBackend:
    """Prints `SMS to +1********70 (2 segments): <first 40 chars>…`; never the full number."""

    def __init__(self, stream: TextIO | None = None, clock: Clock | None = None) -> None:
        self._stream = stream  # None: sys.stdout at the time of writing
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self.messages: list[ConsoleMessage] = []

    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        message = ConsoleMessage(
            sid="CONSOLE" + uuid.uuid4().hex,
            to=to,
            body=body,
            status_callback=status_callback,
            sent_at=self._clock.now().astimezone(UTC),
        )
        count = segments(body)
        flat = " ".join(body.split())
        preview = flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS] + "…"
        line = f"SMS to {mask_phone(to)} ({count} segment{'s' if count != 1 else ''}): {preview}\n"
        with self._lock:
            self.messages.append(message)
            stream = self._stream or sys.stdout
            stream.write(line)
            stream.flush()
        return SendResult(sid=message.sid, status="sent")

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        since_utc = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
        with self._lock:
            for message in reversed(self.messages):
                if message.to == to and message.body == body and message.sent_at >= since_utc:
                    return SendResult(sid=message.sid, status="sent")
        return None
