"""Pages for deliveries: upload with a streaming size limit, private downloads.

Upload views swap in ``SizeLimitUploadHandler`` before the body is read. The
CSRF check reads the body too, so the outer view is exempt and the inner
one protected, as Django's documentation prescribes for custom upload
handlers.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from tsunagu.accounts.models import User
from tsunagu.errors import DomainError
from tsunagu.process import services
from tsunagu.process.models import Delivery, DeliveryFile
from tsunagu.process.uploads import SizeLimitUploadHandler, UploadTooLarge, stored_path
from tsunagu.work.access import access_contract_view
from tsunagu.work.models import Milestone


@csrf_exempt
@require_POST
def delivery_create(request: HttpRequest, milestone_id: int) -> HttpResponse:
    """POST multipart ``message`` and ``files``: the worker delivers the milestone."""
    request.upload_handlers = [SizeLimitUploadHandler(request), *request.upload_handlers]
    try:
        return _delivery_create(request, milestone_id)
    except UploadTooLarge as error:
        return _refused(request, error)


@csrf_protect
@login_required
def _delivery_create(request: HttpRequest, milestone_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    milestone = get_object_or_404(Milestone, pk=milestone_id)
    try:
        services.delivery_submit(
            milestone=milestone,
            by=request.user,
            message=request.POST.get("message", ""),
            files=request.FILES.getlist("files"),
        )
    except DomainError as error:
        return _refused(request, error)
    return redirect("web:contract_detail", contract_id=milestone.contract_id)


@require_POST
@login_required
def delivery_approve(request: HttpRequest, delivery_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    try:
        services.delivery_approve(delivery=delivery, by=request.user)
    except DomainError as error:
        return _refused(request, error)
    return redirect("web:contract_detail", contract_id=delivery.milestone.contract_id)


@require_POST
@login_required
def delivery_revision(request: HttpRequest, delivery_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    try:
        services.delivery_revision_request(
            delivery=delivery, by=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        return _refused(request, error)
    return redirect("web:contract_detail", contract_id=delivery.milestone.contract_id)


@login_required
def delivery_file_download(request: HttpRequest, file_id: int) -> FileResponse:
    """The file as an attachment, to the contract's parties and operators only.

    Anyone else gets 404, as if the file did not exist.
    """
    assert isinstance(request.user, User)
    stored = get_object_or_404(
        DeliveryFile.objects.select_related("delivery__milestone__contract"), pk=file_id
    )
    if not access_contract_view(request.user, stored.delivery.milestone.contract):
        raise Http404
    response = FileResponse(
        stored_path(stored.storage_name).open("rb"),
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(
        request,
        "process/refused.html",
        {"message": error.message, "code": error.code},
        status=error.status,
    )
