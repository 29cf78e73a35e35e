"""Twilio webhooks: delivery reports and incoming replies, each verified by signature."""

from xml.sax.saxutils import escape

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from tracker.alerts.inbound import Inbound, handle_inbound
from tracker.alerts.status import apply_status
from tracker.bootstrap import App
from tracker.store.db import session_scope

TWIML = "application/xml"


def twiml_message(text: str) -> str:
    """A TwiML document that answers with one message."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f"{head}<Response><Message>{escape(text)}</Message></Response>"


def webhook_routes(app: App) -> APIRouter:
    """The routes under /webhooks/twilio for this application."""
    router = APIRouter(prefix="/webhooks/twilio")

    async def verified_form(request: Request) -> FormData:
        form = await request.form()
        token = app.settings.twilio_auth_token
        # Behind TLS termination the request's own scheme is wrong: sign what Twilio called.
        url = app.settings.base_url + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get("X-Twilio-Signature", "")
        params = {key: str(value) for key, value in form.multi_items()}
        if token is None or not RequestValidator(token.get_secret_value()).validate(
            url, params, signature
        ):
            raise HTTPException(status_code=403, detail="invalid or missing X-Twilio-Signature")
        return form

    @router.post("/status")
    async def status(request: Request) -> Response:
        """Record queued/sent/delivered/undelivered/failed; always 200 once verified."""
        form = await verified_form(request)
        code = str(form.get("ErrorCode") or "")
        with session_scope(app.engine) as session:
            apply_status(
                session,
                sid=str(form.get("MessageSid", "")),
                status=str(form.get("MessageStatus") or form.get("SmsStatus") or ""),
                error_code=int(code) if code.isdigit() else None,
                now=app.clock.now(),
            )
        return Response(status_code=200)

    @router.post("/inbound")
    async def inbound(request: Request) -> Response:
        """Answer a reply with TwiML; the answer is in the person's language."""
        form = await verified_form(request)
        message = Inbound(
            sid=str(form.get("MessageSid", "")),
            sender=str(form.get("From", "")),
            body=str(form.get("Body", "")),
            opt_out_type=str(form["OptOutType"]) if "OptOutType" in form else None,
        )
        with session_scope(app.engine) as session:
            answer = handle_inbound(session, message, app.composer, app.clock.now())
        return Response(content=twiml_message(answer), media_type=TWIML)

    return router
