"""Uploaded files, shown through the step link of the complaint they belong to.

A link's capability covers the files of its complaint: people of the organization see
all of them, the complainant only the ones they uploaded. Files are served so that a
browser can never run them: the stored (sniffed) type, nosniff, and a sandbox policy.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from complaints.files.uploads import AttachmentDamaged, open_attachment
from complaints.mail.addresses import COMPLAINANT
from complaints.models import Attachment
from ui_api.deps import DbDep, SettingsDep
from ui_api.links import LinkDep, LinkRefused

router = APIRouter(tags=["files"], include_in_schema=False)
logger = logging.getLogger("complaints.files")
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'"


@router.get("/s/{token}/files/{attachment_id}", response_model=None)
def show_file(attachment_id: str, link: LinkDep, db: DbDep, settings: SettingsDep) -> Response:
    """Return an uploaded file of the link's complaint, if the link's recipient may see it.

    A plain (sync) route: FastAPI runs it, database and file reads, in its threadpool.
    """
    attachment = _attachment(db, attachment_id)
    if attachment is None or attachment.complaint_id != link.step.complaint_id:
        raise LinkRefused(404, counted=False)
    if link.recipient == COMPLAINANT and attachment.uploaded_by != COMPLAINANT:
        raise LinkRefused(404, counted=False)
    try:
        data = open_attachment(settings, attachment)
    except AttachmentDamaged:
        logger.exception("attachment %s cannot be served", attachment.id)
        return PlainTextResponse("This file cannot be shown.", status_code=500)
    # Only photos are shown in the page; anything else (a PDF, a generated HTML report)
    # is a download, so a browser never renders it as a document of this site.
    disposition = "inline" if attachment.content_type.startswith("image/") else "attachment"
    return Response(
        data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": (
                f"{disposition}; filename*=UTF-8''{quote(attachment.filename, safe='')}"
            ),
            "X-Content-Type-Options": "nosniff",
            # Overrides the app's page policy: nothing in a file may run or load.
            "Content-Security-Policy": FILE_CSP,
            "Cache-Control": "private, no-store",
        },
    )


def _attachment(db: Session, attachment_id: str) -> Attachment | None:
    try:
        return db.get(Attachment, uuid.UUID(attachment_id))
    except ValueError:  # not an id: no such file, not a 422
        return None
