"""The tracker's errors, in one tree so callers know what to catch and how to answer.

Every error the tracker raises on purpose is a `TrackerError`: its message is written
for the person who caused it or must fix it (it names what and where, and never holds a
phone number, name, A-number or secret), and `http_status` is what the web answers. The
CLI prints the message and exits 1; the JSON API answers `{"detail": message}` with the
status; the admin shows the message on its error page (forms put it on their field).

TrackerError                    anything a person can act on (400)
├── ConfigError                 a config file is wrong: file, line, reason (500)
├── SettingsError               an environment setting is missing or malformed (500)
│   └── DataKeyError            a data key is malformed, or does not open a stored value
│                               (tracker.kit.crypto)
├── NotFoundError               a case, termination or other record does not exist (404)
├── IllegalTransitionError      a status change the status machine refuses (422)
├── InvalidInputError           a value given on the CLI, API or in a form is wrong (422)
│   └── FieldError              ...naming the form field (tracker.web.admin.page_kit)
├── UploadRefused               an upload that cannot go ahead; its own status
│                               (413, 422, 403, 410; tracker.importer.uploads)
├── TooManyAttempts             sign-in refused for a while after failures (429;
│                               tracker.accounts.users)
└── ProviderError               an outside service did not do what was asked (502):
    │                           `kind`, `permanent` (retrying cannot help) and
    │                           `retry_after` (seconds, when the service said)
    ├── SmsError                a text was not (or may not have been) accepted
    │                           (tracker.sms.base; kinds in SmsErrorKind)
    └── UscisError              USCIS did not tell us a status (tracker.uscis.errors:
                                BadReceipt, NotRecognised, QuotaExhausted,
                                CredentialsRejected, UnexpectedResponse,
                                TemporaryFailure → RateLimited, ServiceUnavailable)

Outside the tree on purpose:
- `tracker.sms.httpx_client.TransportFailure` (NotSentError, MaybeSentError) is the
  twilio SDK's transport contract: the SDK sees it, and `tracker.sms.twilio_backend`
  turns it into an SmsError before it leaves `tracker.sms`.
- Import problems are not raised: an import reports every bad row at once
  (`tracker.importer.rows.RowError`).
- `ValueError` stays the contract of pure parsers (`tracker.domain`): callers turn it
  into an InvalidInputError or ConfigError naming the field or file.
"""


class TrackerError(Exception):
    """An error whose message is written for the person who caused it."""

    # What the web answers; a class may give each error its own (see UploadRefused).
    http_status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(TrackerError):
    """A configuration file is malformed or inconsistent."""

    http_status = 500

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


class SettingsError(TrackerError):
    """A setting from the environment or `.env` is missing, malformed or insecure."""

    http_status = 500


class NotFoundError(TrackerError):
    """The record asked for does not exist."""

    http_status = 404


class IllegalTransitionError(TrackerError):
    """The status machine does not allow this change."""

    http_status = 422


class InvalidInputError(TrackerError):
    """A value given by a user is not acceptable."""

    http_status = 422


class ProviderError(TrackerError):
    """An outside service (Twilio, USCIS) did not do what was asked.

    `kind` says what happened in the provider's own terms; `permanent` that asking again
    cannot help until something changes; `retry_after` how many seconds the provider
    asked us to wait, when it said.
    """

    http_status = 502

    def __init__(
        self, message: str, *, kind: str, permanent: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.permanent = permanent
        self.retry_after = retry_after
