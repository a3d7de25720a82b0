"""The reporter's status page, reached only by the unguessable receipt token."""

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gis_core.errors import DomainError
from reports.models import PatrolPoint, Report
from reports.models import Category
from reports.services import nearby_open, submit


def receipt(request, token: str):
    report = (Report.objects.select_related("category").filter(receipt_token=token).first())
    if report is None:
        raise Http404
    # Only status and time line: no phone, no photos, no worker names on a page anyone with the link sees.
    events = report.events.values("at", "action", "status", "level")
    return render(request, "reports/receipt.html", {"report": report, "events": events,
                                                    "status_names": dict(Report.Status.choices)})


@require_POST
def submit_at_point(request, token: str):
    """A report from a patrol point's QR code: the place is the point's. Answers JSON."""
    point = get_object_or_404(PatrolPoint, qr_token=token, active=True)
    try:
        report = submit(
            request,
            category_code=request.POST.get("category", ""), location=point.location,
            description=request.POST.get("description", ""), phone=request.POST.get("phone"),
            photos=[f.read() for f in request.FILES.getlist("photo")], point=point,
        )
    except DomainError as e:
        response = JsonResponse(e.body(), status=e.status)
        if "retry_after" in e.fields:
            response["Retry-After"] = str(e.fields["retry_after"])
        return response
    return JsonResponse({"id": report.pk, "receipt": f"/report/{report.receipt_token}/"}, status=201)


def nearby_at_point(request, token: str):
    """Open reports of the chosen category within 50 m of the point ("is it one of these?").
    Description, status and age only: nothing about who reported."""
    point = get_object_or_404(PatrolPoint, qr_token=token, active=True)
    category = Category.objects.filter(code=request.GET.get("category", ""), active=True).first()
    if category is None:
        return JsonResponse({"detail": str(_("未知的问题类别"))}, status=400)
    rows = nearby_open(category, point.location)[:10]
    return JsonResponse({"results": [
        {"id": r.pk, "description": r.description, "status": r.get_status_display(),
         "created_at": r.created_at.isoformat(), "distance_m": round(r.distance_m)} for r in rows
    ]})
