"""GET/HEAD /feeds/{token}.ics: a calendar that stays current, cheap to re-fetch."""

import hashlib
from collections import OrderedDict
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from threading import Lock

from fastapi import APIRouter, Request, Response

from tracker.bootstrap import App
from tracker.feeds.query import feed_items
from tracker.feeds.render import last_modified, render_feed
from tracker.feeds.tokens import find_active
from tracker.store.db import session_scope
from tracker.web.ratelimit import RateLimiter

CALENDAR = "text/calendar; charset=utf-8"
CACHE_BYTES = 64 * 1024 * 1024
# The same answer for an unknown, a revoked and a malformed token.
NOT_FOUND = "Not found\n"


class BodyCache:
    """Rendered feeds by ETag, newest kept, within a byte budget (per process).

    Rendering ten thousand events takes seconds; an unchanged feed fetched by another
    client, or again without a validator, is served from here.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = Lock()

    def get(self, etag: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(etag)
            if body is not None:
                self._bodies.move_to_end(etag)
            return body

    def put(self, etag: str, body: bytes) -> None:
        with self._lock:
            self._bodies[etag] = body
            while sum(len(b) for b in self._bodies.values()) > self.max_bytes:
                self._bodies.popitem(last=False)


def feed_routes(app: App) -> APIRouter:
    """The feed route for this application."""
    router = APIRouter()
    limiter = RateLimiter(app.feed_policy.rate_limit_per_minute)
    cache = BodyCache()

    # HEAD is the same operation: one route per method keeps OpenAPI operation ids unique.
    @router.head("/feeds/{token}.ics", include_in_schema=False)
    @router.get("/feeds/{token}.ics")
    def feed(token: str, request: Request) -> Response:
        """Every deadline the token covers, as iCalendar."""
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client):
            return Response("Too many requests\n", status_code=429, headers={"Retry-After": "60"})
        now = app.clock.now()
        with session_scope(app.engine) as session:
            row = find_active(session, token)
            if row is None:
                return Response(content=NOT_FOUND, status_code=404, media_type="text/plain")
            row.last_used_at = now
            session.add(row)
            items = feed_items(session, row, app.feed_policy, now)
            name = "Parole deadlines" if row.case_id is None else "My parole dates"
        changed = last_modified(items, row.created_at).replace(microsecond=0)
        # The ETag is a hash of what the feed shows, so an unchanged feed is never rendered.
        state = repr((row.id, row.privacy, name, items, app.feed_policy)).encode()
        etag = '"' + hashlib.sha256(state).hexdigest()[:32] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(changed.astimezone(UTC), usegmt=True),
            "Cache-Control": "private, max-age=300",
        }
        if _not_modified(request, etag, changed):
            return Response(status_code=304, headers=headers)
        body = cache.get(etag)
        if body is None:
            body = render_feed(
                items,
                feed_id=row.id or 0,
                name=name,
                privacy=row.privacy,
                policy=app.feed_policy,
                admin_url=f"{app.settings.base_url}/admin",
            )
            cache.put(etag, body)
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=200, headers=headers, media_type=CALENDAR)
        return Response(content=body, headers=headers, media_type=CALENDAR)

    return router


def _not_modified(request: Request, etag: str, changed: datetime) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        # Weak comparison (RFC 9110 13.1.2): a proxy that compresses may weaken our ETag.
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return changed <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
