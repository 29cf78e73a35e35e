"""Case files uploaded in the admin: checked by a dry run on arrival, kept encrypted, and
imported at most once, by the person who uploaded them, within an hour.

The import itself is `import_file`, the CLI's: a web import is all or nothing just like
`tracker import`, and reports the same rows with the same reasons.
"""

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, update

from tracker.errors import TrackerError
from tracker.importer.report import ImportReport
from tracker.importer.service import ImportOptions, import_file
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.db import session_scope
from tracker.store.models import ImportUpload, must_id

MAX_BYTES = 20 * 1024 * 1024
LIFETIME = timedelta(hours=1)
MAX_FILENAME = 200


class UploadRefused(TrackerError):
    """An upload or a confirm that cannot go ahead, with the HTTP answer to give."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.http_status = status


@dataclass(frozen=True)
class Uploader:
    """Who uploads or confirms, and how their import is run."""

    user_id: int
    actor: str
    default_timezone: str


@dataclass(frozen=True)
class Checked:
    """The dry run of an upload; `upload_id` is set when it was kept to be confirmed."""

    report: ImportReport
    upload_id: int | None


def decode(data: bytes) -> str:
    """The text of an uploaded file; UploadRefused if it is too big or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise UploadRefused(too_big_message(), 413)
    if not data.strip():
        raise UploadRefused("The file is empty. Choose a CSV file with a header row.", 422)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(
            "This file is not saved as UTF-8, so its letters cannot be read safely. In your "
            'spreadsheet, save it as "CSV UTF-8" and upload it again.',
            422,
        ) from None


def too_big_message() -> str:
    """What to say about a file over the limit."""
    return (
        f"The file is bigger than {MAX_BYTES // (1024 * 1024)} MB. "
        "Split it into smaller files and upload them one at a time."
    )


def check_upload(
    engine: Engine,
    policies: Policies,
    now: datetime,
    *,
    uploader: Uploader,
    filename: str,
    text: str,
) -> Checked:
    """Dry-run the file; keep it for a confirm only if it would import cleanly."""
    options = ImportOptions(
        actor=uploader.actor, default_timezone=uploader.default_timezone, dry_run=True
    )
    report = _import_text(engine, policies, now, options, text, "upload.csv")
    keep = not report.errors and report.rows > 0
    with session_scope(engine) as session:
        _forget_old(session, now)
        upload_id = None
        if keep:
            upload = ImportUpload(
                user_id=uploader.user_id,
                filename=filename[:MAX_FILENAME],
                content=text,
                created_at=now,
            )
            session.add(upload)
            session.flush()
            upload_id = must_id(upload.id)
        # Counts only: the file name may be a person's name.
        audit.record(
            session,
            at=now,
            actor=uploader.actor,
            action="import.uploaded",
            entity="import_upload",
            entity_id=upload_id,
            rows=report.rows,
            bad_rows=len(report.bad_lines),
            bytes=len(text.encode()),
        )
    return Checked(report, upload_id)


def confirm_upload(
    engine: Engine, policies: Policies, now: datetime, *, uploader: Uploader, upload_id: int
) -> ImportReport:
    """Import a kept upload for real: all of it, or (if it now has bad rows) nothing."""
    with session_scope(engine) as session:
        text = _claim(session, upload_id, uploader.user_id, now)
    options = ImportOptions(actor=uploader.actor, default_timezone=uploader.default_timezone)
    try:
        report = _import_text(engine, policies, now, options, text, f"upload-{upload_id}.csv")
    except BaseException:
        _release(engine, upload_id)
        raise
    if not report.written:
        # Nothing was written (the data changed since the dry run): it may be fixed and
        # confirmed again while the hour lasts.
        _release(engine, upload_id)
    with session_scope(engine) as session:
        if report.written:
            # Imported: the copy is no longer needed, and personal data is kept no longer
            # than it is needed.
            session.exec(
                update(ImportUpload).where(col(ImportUpload.id) == upload_id).values(content="")
            )
        audit.record(
            session,
            at=now,
            actor=uploader.actor,
            action="import.confirmed",
            entity="import_upload",
            entity_id=upload_id,
            imported=int(report.written),
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            bad_rows=len(report.bad_lines),
        )
    return report


def _claim(session: Session, upload_id: int, user_id: int, now: datetime) -> str:
    upload = session.get(ImportUpload, upload_id)
    if upload is None:
        raise UploadRefused(
            "This upload is no longer here: uploads are kept for one hour. Upload the file again.",
            404,
        )
    if upload.user_id != user_id:
        raise UploadRefused("This file was uploaded by someone else. Upload it yourself.", 403)
    if upload.imported_at is not None:
        raise UploadRefused("This file has already been imported.", 409)
    if upload.created_at + LIFETIME <= now:
        raise UploadRefused(
            "This upload is more than an hour old. Upload the file again to check it afresh.",
            410,
        )
    # Conditional on not being imported yet, so two confirms at once import it only
    # once: trust the row count.
    claimed = session.exec(
        update(ImportUpload)
        .where(col(ImportUpload.id) == upload_id, col(ImportUpload.imported_at).is_(None))
        .values(imported_at=now)
    )
    if claimed.rowcount != 1:
        raise UploadRefused("This file has already been imported.", 409)
    return upload.content


def _release(engine: Engine, upload_id: int) -> None:
    with session_scope(engine) as session:
        session.exec(
            update(ImportUpload).where(col(ImportUpload.id) == upload_id).values(imported_at=None)
        )


def _forget_old(session: Session, now: datetime) -> None:
    # Uploads past their hour can no longer be confirmed; their content is personal data.
    session.exec(delete(ImportUpload).where(col(ImportUpload.created_at) < now - LIFETIME))


def _import_text(
    engine: Engine,
    policies: Policies,
    now: datetime,
    options: ImportOptions,
    text: str,
    name: str,
) -> ImportReport:
    # The importer reads a file, as the CLI's does; the copy lives only for this call.
    with tempfile.TemporaryDirectory(prefix="tracker-import-") as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8", newline="")
        return import_file(engine, path, policies, now, options)
