"""Delivery files over HTTP: limits while streaming, types by content, private downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.db_state import table_counts
from tests.factories import UserFactory
from tsunagu.process.models import DeliveryFile
from tsunagu.process.uploads import OFFICE_TYPES, sniff_content_type, stored_path

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def signed_in(user) -> Client:
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(user)
    return browser


def upload(browser: Client, milestone, name: str, content: bytes):
    return browser.post(
        f"/milestones/{milestone.pk}/deliveries/",
        {"message": "納品します。", "files": [SimpleUploadedFile(name, content)]},
    )


def test_a_delivered_file_is_stored_privately_and_downloaded_as_an_attachment(funded, private_dir):
    worker = signed_in(funded.contract.worker)

    response = upload(worker, funded, "報告書.pdf", PDF)

    assert response.status_code == 302
    stored = DeliveryFile.objects.get()
    path = stored_path(stored.storage_name)
    assert path.read_bytes() == PDF
    assert private_dir in path.parents
    assert stored.original_name == "報告書.pdf"

    download = signed_in(funded.contract.client).get(f"/delivery-files/{stored.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_a_file_over_the_limit_gets_413_and_nothing_is_kept(funded, private_dir, settings):
    settings.TSUNAGU_UPLOAD_MAX_BYTES = 1024
    before = table_counts()

    response = upload(signed_in(funded.contract.worker), funded, "big.pdf", PDF + b"0" * 4096)

    assert response.status_code == 413
    assert table_counts() == before
    assert not [path for path in private_dir.rglob("*") if path.is_file()]


def test_an_executable_renamed_pdf_gets_415(funded, private_dir):
    before = table_counts()

    response = upload(signed_in(funded.contract.worker), funded, "invoice.pdf", WINDOWS_EXE)

    assert response.status_code == 415
    assert table_counts() == before
    assert not [path for path in private_dir.rglob("*") if path.is_file()]


def test_a_file_name_with_dot_dot_does_not_choose_where_it_is_stored(funded, private_dir):
    response = upload(signed_in(funded.contract.worker), funded, "../../../etc/passwd.png", PNG)

    assert response.status_code == 302
    stored = DeliveryFile.objects.get()
    assert stored.original_name == "passwd.png"
    assert stored_path(stored.storage_name).parent.parent == private_dir / "deliveries"
    assert ".." not in stored.storage_name
    assert stored.storage_name.isalnum()


def test_another_users_delivery_file_is_404(funded):
    upload(signed_in(funded.contract.worker), funded, "report.pdf", PDF)
    stored = DeliveryFile.objects.get()

    response = signed_in(UserFactory()).get(f"/delivery-files/{stored.pk}/")

    assert response.status_code == 404


def test_an_operator_may_download_a_delivery(funded):
    upload(signed_in(funded.contract.worker), funded, "report.pdf", PDF)
    stored = DeliveryFile.objects.get()

    response = signed_in(UserFactory(is_staff=True)).get(f"/delivery-files/{stored.pk}/")

    assert response.status_code == 200


def test_the_upload_form_is_csrf_protected(funded):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(funded.contract.worker)

    response = upload(browser, funded, "report.pdf", PDF)

    assert response.status_code == 403
    assert not DeliveryFile.objects.exists()


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (PDF, "a.pdf", "application/pdf"),
        (PNG, "a.png", "image/png"),
        (WINDOWS_EXE, "a.pdf", None),
        ("納品物の説明です。\n".encode(), "readme.txt", "text/plain"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 30, "report.docx", OFFICE_TYPES[".docx"]),
        (b"\x00\x01\x02binary", "a.txt", None),
    ],
)
def test_types_are_judged_by_content(head, name, expected):
    assert sniff_content_type(head, name) == expected
