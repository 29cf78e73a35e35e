"""The JSON API under /api/v1, authenticated by bearer tokens (OpenAPI at /openapi.json)."""

from tracker.web.api.routes import api_routes

__all__ = ["api_routes"]
