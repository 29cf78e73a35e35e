"""The web process: FastAPI routes (health now; admin, feeds and webhooks to come)."""
