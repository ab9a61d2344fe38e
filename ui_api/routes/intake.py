"""The complaints API: file a complaint, read its progress."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from complaints.intake import service
from complaints.intake.schemas import ComplaintCreated, ComplaintIn, ComplaintOut, StepOut
from complaints.mail.addresses import status_url
from ui_api.api_keys import filer_of
from ui_api.deps import BackgroundDep, DbDep, SettingsDep
from ui_api.intake_writer import IntakeWriter

router = APIRouter(prefix="/api/complaints", tags=["complaints"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ComplaintCreated)
async def file_complaint(
    data: ComplaintIn,
    request: Request,
    background: BackgroundDep,
    filer: Annotated[str, Depends(filer_of)],
) -> ComplaintCreated:
    """Record a complaint; its flow run starts as soon as Prefect accepts it.

    Once integration keys exist (`python -m complaints.admin api-key create NAME`), a
    request needs one (``X-API-Key`` or ``Authorization: Bearer``); the integration's
    name is recorded with the complaint.
    """
    writer: IntakeWriter = request.app.state.intake_writer
    created = await writer.file(data, received_by=filer)  # committed before anything else
    background.wake()
    return created


@router.get("/{complaint_id}", response_model=ComplaintOut)
def read_complaint(complaint_id: uuid.UUID, db: DbDep, settings: SettingsDep) -> ComplaintOut:
    """Return a complaint's stage, run and steps (no personal data)."""
    try:
        complaint = service.require_complaint(db, complaint_id)
    except service.ComplaintNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such complaint") from None
    return ComplaintOut(
        id=complaint.id,
        reference=complaint.reference,
        stage=complaint.stage,
        grade=complaint.grade,
        resolution=complaint.resolution,
        received_at=complaint.received_at,
        closed_at=complaint.closed_at,
        department=complaint.department,
        run_status=complaint.run_status,
        flow_run_id=complaint.flow_run_id,
        status_url=status_url(settings, complaint),
        steps=[StepOut.model_validate(s, from_attributes=True) for s in complaint.steps],
    )
