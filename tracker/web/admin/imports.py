"""GET/POST /admin/import and POST /admin/import/{id}/confirm: a case file, checked by a
dry run, then imported on confirmation. Administrators and staff only."""

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from tracker.bootstrap import App
from tracker.importer import uploads
from tracker.importer.rows import COLUMNS, REQUIRED
from tracker.importer.uploads import Uploader, UploadRefused, check_upload, confirm_upload, decode
from tracker.web.admin.auth import AdminAuth, Visitor, require_staff
from tracker.web.templating import render

# Room for the multipart framing and the CSRF field around the file itself.
FORM_OVERHEAD = 64 * 1024


def imports_routes(app: App, auth: AdminAuth) -> APIRouter:
    """The import page, its upload (a dry run) and the confirm."""
    router = APIRouter(prefix="/admin")

    def uploader(visitor: Visitor) -> Uploader:
        caller = visitor.caller
        return Uploader(caller.user_id, caller.actor, app.settings.default_timezone)

    def page(request: Request, visitor: Visitor, status: int = 200, **extra: object) -> Response:
        context = {"visitor": visitor, "nav": "import", "columns": COLUMNS,
                   "required": REQUIRED, "max_mb": uploads.MAX_BYTES // (1024 * 1024),
                   "error": None, "checked": None, "filename": None, **extra}  # fmt: skip
        return render(request, "import.html", context, status)

    @router.get("/import")
    def import_form(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_staff(visitor.caller)
        return page(request, visitor)

    @router.post("/import")
    async def upload(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_staff(visitor.caller)
        # Refuse an announced oversize body before reading any of it.
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > uploads.MAX_BYTES + FORM_OVERHEAD:
            return page(request, visitor, 413, error=uploads.too_big_message())
        form = await auth.form(request, visitor)
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            await form.close()
            return page(request, visitor, 422, error="Choose a CSV file to upload.")
        try:
            text = decode(await file.read(uploads.MAX_BYTES + 1))
        except UploadRefused as exc:
            return page(request, visitor, exc.http_status, error=exc.message)
        finally:
            # A big upload waits in a temporary file on disk: remove it now.
            await form.close()
        checked = await run_in_threadpool(
            check_upload,
            app.engine,
            app.policies,
            app.clock.now(),
            uploader=uploader(visitor),
            filename=file.filename,
            text=text,
        )
        status = 200 if checked.upload_id is not None else 422
        return page(request, visitor, status, checked=checked, filename=file.filename)

    @router.post("/import/{upload_id}/confirm")
    async def confirm(
        request: Request, upload_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        require_staff(visitor.caller)
        await auth.form(request, visitor)
        try:
            report = await run_in_threadpool(
                confirm_upload,
                app.engine,
                app.policies,
                app.clock.now(),
                uploader=uploader(visitor),
                upload_id=upload_id,
            )
        except UploadRefused as exc:
            return page(request, visitor, exc.http_status, error=exc.message)
        context = {"visitor": visitor, "nav": "import", "report": report}
        return render(request, "import_result.html", context, 200 if report.written else 422)

    return router
