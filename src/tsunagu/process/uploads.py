"""Delivery files: size limits while streaming, types by content, private storage.

- ``SizeLimitUploadHandler`` counts the bytes of an upload as they arrive
  and stops at ``TSUNAGU_UPLOAD_MAX_BYTES`` (50 MB by default), before the
  rest is read; the view answers 413.
- ``sniff_content_type`` decides a file's type from its first bytes (magic
  numbers, via puremagic), never from its name or the browser's word, and
  only types on ``ALLOWED_TYPES`` are kept; the view answers 415 otherwise.
- ``file_store`` writes under ``TSUNAGU_PRIVATE_DIR`` (outside the web root)
  with a random name: the uploader's file name is kept only as a label.
"""

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import puremagic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from tsunagu.errors import DomainError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SNIFF_BYTES = 8192
MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around the files of a form

ZIP = "application/zip"
OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/quicktime",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
        "text/plain",
        ZIP,
        *OFFICE_TYPES.values(),
    }
)


class UploadTooLarge(DomainError):
    status = 413
    code = "file_too_large"


class UnsupportedFileType(DomainError):
    status = 415
    code = "unsupported_file_type"


def max_upload_bytes() -> int:
    return int(getattr(settings, "TSUNAGU_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_too_large() -> UploadTooLarge:
    megabytes = max_upload_bytes() // (1024 * 1024)
    return UploadTooLarge(_("A file may be %(mb)d MB at most.") % {"mb": megabytes})


class SizeLimitUploadHandler(FileUploadHandler):
    """Refuses an upload as soon as it passes the limit, while it streams in.

    Put it first in ``request.upload_handlers`` before the body is read; it
    raises ``UploadTooLarge`` from the parser, which the view turns into 413.
    """

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > max_upload_bytes() + MULTIPART_OVERHEAD:
            raise upload_too_large()  # the client said so itself: read nothing

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > max_upload_bytes():
            raise upload_too_large()
        return raw_data  # pass the chunk on to the handler that keeps it

    def file_complete(self, file_size: int) -> None:
        return None


def sniff_content_type(head: bytes, original_name: str) -> str | None:
    """The file's type by its content, or None when it is not an allowed type.

    Office documents are ZIP archives inside; one whose content is a ZIP and
    whose name ends in .docx, .xlsx or .pptx is taken as that document. A
    file with no magic number is plain text only if it is UTF-8 without NUL
    bytes.
    """
    try:
        detected = puremagic.from_string(head, mime=True) if head else ""
    except puremagic.PureError:
        detected = ""

    if detected == ZIP or detected in OFFICE_TYPES.values():
        suffix = Path(original_name).suffix.lower()
        return OFFICE_TYPES.get(suffix, ZIP)
    if detected:
        return detected if detected in ALLOWED_TYPES else None
    return "text/plain" if _looks_like_text(head) else None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sniffed window may end inside a multi-byte character.
        return error.start >= len(head) - 3
    return True


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str


def private_dir() -> Path:
    return Path(settings.TSUNAGU_PRIVATE_DIR) / "deliveries"


def stored_path(storage_name: str) -> Path:
    """Where ``storage_name`` (a random hex name) lives; never built from user input."""
    if not storage_name.isalnum():
        raise ValueError("not a storage name")
    return private_dir() / storage_name[:2] / storage_name


def file_store(upload: UploadedFile) -> StoredFile:
    """Check ``upload`` and write it to private storage under a random name.

    Raises ``UploadTooLarge`` (413) past the limit and
    ``UnsupportedFileType`` (415) for a type not allowed; nothing is written
    then. The caller removes the file with ``file_discard`` if its own
    transaction fails.
    """
    size = upload.size or 0
    if size > max_upload_bytes():
        raise upload_too_large()
    original_name = _display_name(upload.name or "file")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    content_type = sniff_content_type(head, original_name)
    if content_type is None:
        raise UnsupportedFileType(
            _("%(name)s is not a file type we accept.") % {"name": original_name}
        )

    storage_name = secrets.token_hex(16)
    path = stored_path(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    upload.seek(0)
    with path.open("xb") as target:
        for chunk in upload.chunks():
            digest.update(chunk)
            target.write(chunk)
    return StoredFile(
        storage_name=storage_name,
        original_name=original_name,
        content_type=content_type,
        size_bytes=size,
        sha256=digest.hexdigest(),
    )


def file_discard(storage_name: str) -> None:
    stored_path(storage_name).unlink(missing_ok=True)


def _display_name(name: str) -> str:
    """The last part of whatever path the client sent, without control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip(". ")
    return cleaned[:200] or "file"
