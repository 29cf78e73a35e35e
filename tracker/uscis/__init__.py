"""USCIS case status: the Case Status API client (`client`), what USCIS answers
(`response`), the pacing and daily quota (`ratelimit`, `ledger`: the quota in the
database) and the errors (`errors`); the poller that reads pending filings within the quota
(`poller`, `repository`), tomorrow's plan (`planner`), status texts as events (`events`),
what a change sets in motion (`actions`) and the history people read (`history`)."""
