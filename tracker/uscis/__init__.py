"""USCIS case status: the Case Status API client (`client`), what USCIS answers
(`response`), the pacing and daily quota (`ratelimit`) and the errors (`errors`)."""
