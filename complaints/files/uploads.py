"""Files people upload through step links: photos from complainants, evidence from owners.

Everything about a file is decided from its bytes, never from what the browser says or
what the file is called: the type from its magic bytes, the place on disk from a fresh
id. All files of a submission are checked before any is written, so a refused submission
leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import tempfile
import unicodedata
import uuid
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from complaints.audit import SYSTEM, record_event
from complaints.enums import EventKind
from complaints.models import Attachment, Step
from complaints.settings import Settings

# Content type -> the extension a stored file's name ends with.
ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}
# Other extensions that name the same type correctly.
_ALSO_FITS = {".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".heif": "image/heic"}
_LABELS = "JPEG, PNG, GIF, WebP, HEIC, PDF"
_HEIC_BRANDS = (b"heic", b"heix", b"mif1")
MAX_NAME = 120


class UploadRefused(ValueError):
    """A file (or a number of files) the upload rules refuse. ``message`` is the English
    text, a message id of the catalogs; ``values`` fill it in."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values)
        self.message = message
        self.values = values


class AttachmentDamaged(Exception):
    """A stored file is missing or no longer the file that was uploaded."""


def sniff(data: bytes) -> str | None:
    """Return the content type the bytes begin with, or None if not an allowed type."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        return "image/heic"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def safe_filename(name: str) -> str:
    """Return a name fit to show and to offer for download: a bare name, printable, short."""
    name = unicodedata.normalize("NFC", name)
    # Control and format characters (including right-to-left overrides that disguise an
    # extension) go; then anything before the last path separator of either kind.
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs"})
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if 1 < len(suffix) <= 10 else ""
        name = name[: MAX_NAME - len(suffix)].rstrip() + suffix
    return name or "file"


def _named_for(name: str, content_type: str) -> str:
    """Return the name with an extension that says what the file really is."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ALLOWED_TYPES[content_type] or _ALSO_FITS.get(suffix) == content_type:
        return name
    extension = ALLOWED_TYPES[content_type]
    return name[: MAX_NAME - len(extension)] + extension


def human_size(n: int) -> str:
    """Return a size in bytes as people read it (bytes, KB, MB)."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def stored_path(settings: Settings, attachment_id: uuid.UUID) -> Path:
    """Return where an attachment's bytes live (nothing of the uploader's choosing)."""
    return settings.upload_dir / attachment_id.hex[:2] / attachment_id.hex


def check_uploads(files: list[tuple[str, bytes]], settings: Settings) -> list[str]:
    """Check a submission's files; return their content types or raise UploadRefused."""
    if len(files) > settings.upload_max_files:
        raise UploadRefused("at most %(count)s files", count=settings.upload_max_files)
    types = []
    for name, data in files:
        shown = safe_filename(name)
        if not data:
            raise UploadRefused("%(name)s is empty", name=shown)
        if len(data) > settings.upload_max_bytes:
            raise UploadRefused(
                "%(name)s is larger than %(limit)s",
                name=shown,
                limit=human_size(settings.upload_max_bytes),
            )
        content_type = sniff(data)
        if content_type is None:
            raise UploadRefused(
                "%(name)s is not a photo or PDF (allowed: %(allowed)s)", name=shown, allowed=_LABELS
            )
        types.append(content_type)
    return types


def write_whole(path: Path, data: bytes) -> None:
    """Write a file whole or not at all, readable by this user only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")  # mode 0o600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def store_uploads(
    session: Session,
    *,
    complaint_id: uuid.UUID,
    step_id: uuid.UUID | None,
    uploaded_by: str,
    files: list[tuple[str, bytes]],
    settings: Settings,
    channel: str = SYSTEM,
    client_addr: str | None = None,
) -> list[Attachment]:
    """Check all files (UploadRefused before anything is written), store them, record them.

    ``files`` holds (name as uploaded, bytes). Rows are flushed, not committed: the caller
    commits with the rest of the submission. Files written for a submission that then
    fails are removed again.
    """
    types = check_uploads(files, settings)
    if step_id is not None:
        step = session.get(Step, step_id)
        if step is None or step.complaint_id != complaint_id:
            raise ValueError(f"step {step_id} is not a step of complaint {complaint_id}")
    written: list[Path] = []
    try:
        attachments = []
        for (name, data), content_type in zip(files, types, strict=True):
            attachment = Attachment(
                id=uuid.uuid4(),
                complaint_id=complaint_id,
                step_id=step_id,
                uploaded_by=uploaded_by,
                filename=_named_for(safe_filename(name), content_type),
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            path = stored_path(settings, attachment.id)
            write_whole(path, data)
            written.append(path)
            attachments.append(attachment)
        session.add_all(attachments)
        session.flush()
        for attachment in attachments:
            _record_upload(session, attachment, channel=channel, client_addr=client_addr)
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return attachments


def _record_upload(
    session: Session, attachment: Attachment, *, channel: str, client_addr: str | None
) -> None:
    """Record an upload in its complaint's trail: what it is, never its name."""
    record_event(
        session,
        attachment.complaint_id,
        EventKind.FILE_UPLOADED,
        actor=attachment.uploaded_by,
        channel=channel,
        client_addr=client_addr,
        data={
            "attachment_id": str(attachment.id),
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )


def store_generated(
    session: Session,
    *,
    complaint_id: uuid.UUID,
    filename: str,
    content_type: str,
    data: bytes,
    settings: Settings,
) -> Attachment:
    """Store a file the system made (a report) with a complaint, recorded like an upload.

    The upload type allowlist does not apply: the bytes are ours, not a browser's. The
    row is flushed, not committed; the file is removed again if recording it fails.
    """
    attachment = Attachment(
        id=uuid.uuid4(),
        complaint_id=complaint_id,
        step_id=None,
        uploaded_by=SYSTEM,
        filename=safe_filename(filename),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    path = stored_path(settings, attachment.id)
    write_whole(path, data)
    try:
        session.add(attachment)
        session.flush()
        record_event(
            session,
            complaint_id,
            EventKind.FILE_UPLOADED,
            data={
                "attachment_id": str(attachment.id),
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
            },
        )
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return attachment


def open_attachment(settings: Settings, attachment: Attachment) -> bytes:
    """Return an attachment's bytes; raise AttachmentDamaged if they are not the upload's."""
    return read_checked(stored_path(settings, attachment.id), attachment.size, attachment.sha256)


def read_checked(path: Path, size: int, sha256: str) -> bytes:
    """Return a stored file's bytes; raise AttachmentDamaged if missing or altered."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise AttachmentDamaged(f"{path.name} is missing") from exc
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != size or not hmac.compare_digest(digest, sha256):
        raise AttachmentDamaged(f"{path.name} was altered after it was stored")
    return data
