"""GET /admin/forecast: the SMS the coming days will send, in messages, segments and dollars."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracker.alerts.forecast import forecast
from tracker.bootstrap import App
from tracker.web.admin.auth import AdminAuth, Visitor, require_staff
from tracker.web.admin.page_kit import FieldError, page, refusal, whole

DEFAULT_DAYS = 30
# The CLI's bound too: past a year the rules and the people will have changed anyway.
MAX_DAYS = 366


def forecast_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET /admin/forecast?days=N, for administrators and staff."""
    router = APIRouter(prefix="/admin")

    @router.get("/forecast")
    def forecast_page(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_staff(visitor.caller)
        context = {
            "visitor": visitor, "nav": "forecast", "days": request.query_params.get("days"),
            "per_segment": app.composer.policy.cost_per_segment_usd,
        }  # fmt: skip
        try:
            days = whole(request.query_params, "days", "Days", 1, MAX_DAYS) or DEFAULT_DAYS
        except FieldError as exc:
            return page(request, "forecast.html", {**context, **refusal(exc)}, 422)
        found = forecast(app.engine, app.composer, app.clock.now(), days)
        totals = {
            "messages": sum(d.messages for d in found),
            "segments": sum(d.segments for d in found),
            "cost_usd": sum(d.cost_usd for d in found),
        }
        return page(
            request,
            "forecast.html",
            {**context, "days": days, "forecast": found, "totals": totals},
        )

    return router
