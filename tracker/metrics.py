"""Process metrics: what this process did since it started (Prometheus counters, histograms).

They live in the default registry of the process that did the work: the dispatcher's in
a `tracker worker` (served on METRICS_PORT) or in `tracker serve`; a `tracker web`
process has none of them. Prometheus adds up the processes it scrapes. What the
database knows (alerts by state, quota, notices) is read per scrape instead, by
`tracker.web.metrics`, and is the same from every process.

No label carries personal data: job names, error codes and error kinds only.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

# From a fast loopback answer to Twilio's 20 s read timeout.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
# A dispatch pass is seconds to minutes (it paces at the policy's rate); a planner sweep
# after long downtime can take minutes.
JOB_BUCKETS = (0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0)

SMS_SEND_SECONDS = Histogram(
    "tracker_sms_send_seconds",
    "Time the SMS provider took to answer one send, accepted or not (this process).",
    buckets=SEND_BUCKETS,
)
SMS_ERRORS = Counter(
    "tracker_sms_errors",
    "Sends the SMS provider refused or left unanswered, by Twilio error code ('none' for "
    "a timeout or a refused connection) and by what the dispatcher does next (this process).",
    ["code", "kind"],
)
JOB_SECONDS = Histogram(
    "tracker_job_seconds",
    "Run time of a scheduled job; for dispatch, of one pass (this process).",
    ["job"],
    buckets=JOB_BUCKETS,
)
JOB_RUNS = Counter(
    "tracker_job_runs",
    "Scheduled job ticks by outcome: ran, failed, or skipped because another worker ran "
    "the job within its interval (this process).",
    ["job", "outcome"],
)


@contextmanager
def timed_job(job: str) -> Iterator[None]:
    """Observe the run time of `job`, whether it ends normally or raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        JOB_SECONDS.labels(job=job).observe(time.perf_counter() - started)
