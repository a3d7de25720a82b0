"""The staff phone page (/duty/): my open reports; accept, on the way, arrived (position recorded),
resolved with a photo, cannot resolve (with a reason); merging duplicates; opt-in position
sharing; the in-app notifications. Grid workers and administrators, each within their scope
(residents.scoping.area_scope); only the assignee moves a report on (reports.dispatch)."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import Role, role_required
from audit import log as audit
from gis_core.errors import BadRequest
from reports import clock, dashboard, dispatch, notify, photos, sheets
from reports.models import Report, ReportPhoto, WorkerPosition
from reports.services import merge, nearby_open, parse_point
from residents import crypto
from residents.scoping import area_scope

STAFF = (Role.GRID_WORKER, Role.ADMIN)


def staff(view):
    return never_cache(role_required(*STAFF)(view))


def in_scope(user):
    """Reports this user may see: those in their area, and any assigned to them."""
    q = area_scope(user)
    mine = Q(assignee=user)
    return Report.objects.filter(mine if q is None else (q | mine))


def _report(request, report_id: int) -> Report:
    report = in_scope(request.user).select_related("category", "grid", "mesh", "community", "assignee",
                                                   "point", "building").filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


@staff
@require_safe
def home(request):
    mine = (Report.objects.filter(assignee=request.user, status__in=Report.OPEN)
            .select_related("category", "grid").order_by("created_at"))
    waiting = (in_scope(request.user).filter(status=Report.Status.NEW).exclude(assignee=request.user)
               .select_related("category", "grid").order_by("created_at")[:50])
    position = WorkerPosition.objects.filter(worker=request.user).first()
    return render(request, "reports/duty.html", {
        "mine": mine, "waiting": waiting, "position": position, "unread": notify.unread(request.user),
        "now": timezone.now(),
    })


@staff
@require_safe
def detail(request, report_id: int):
    report = _report(request, report_id)
    events = report.events.select_related("actor")
    duplicates = []
    if report.is_open and report.duplicate_of_id is None:
        duplicates = [r for r in nearby_open(report.category, report.location).select_related("category")[:10]
                      if r.pk != report.pk]
    return render(request, "reports/duty_report.html", {
        "report": report, "events": events, "photos": report.photos.annotate(pending=ExpressionWrapper(Q(image_sealed__isnull=True), output_field=BooleanField())).values("id", "kind", "created_at", "pending"),
        "duplicates": duplicates, "followers": report.duplicates.count(), "mine": report.assignee_id == request.user.pk,
        "actions": _actions(report, request.user), "has_phone": report.phone_sealed is not None,
    })


def _actions(report: Report, user) -> list[str]:
    if report.status == Report.Status.NEW:  # waiting with the grid: anyone of the area may take it
        return ["claim"]
    if report.assignee_id != user.pk:
        return []
    if report.status == Report.Status.OFFERED:
        return ["accept"]
    return [a for a, (allowed, _s, _t) in dispatch.STEPS.items() if report.status in allowed]


@staff
@require_POST
def act(request, report_id: int, action: str):
    """accept | claim (a report waiting with the grid) | on_the_way | arrived (lat/lon from the phone, optional) | resolved (a photo) |
    unresolvable (a reason). 409 when the report is not the user's or not in that state."""
    report = _report(request, report_id)
    if action == "accept":
        clock.schedule(dispatch.accept(report, request.user))
    elif action == "claim":
        clock.schedule(dispatch.claim(report, request.user))
    elif action in dispatch.STEPS:
        location = None
        if request.POST.get("lat") and request.POST.get("lon"):
            location = parse_point(request.POST["lat"], request.POST["lon"])
        proof = []
        if action == "resolved":
            proof = photos.check_all([f.read(photos.MAX_BYTES + 1) for f in request.FILES.getlist("photo")])
            if not proof:
                raise BadRequest(_("办结需要上传一张现场照片"), field="photo")
        clock.schedule(dispatch.step(report, request.user, action, location=location,
                                     reason=(request.POST.get("reason") or "").strip()[:300]))
        photos.store(report, proof, kind="resolution")  # cleaned by the clock worker
    else:
        raise Http404
    return redirect("duty-report", report_id=report.pk)


@staff
@require_POST
def merge_view(request, report_id: int):
    """Staff mark this report as the same problem as another one in their scope."""
    report = _report(request, report_id)
    into_id = request.POST.get("into", "")
    into = _report(request, int(into_id)) if into_id.isdigit() else None
    if into is None:
        raise BadRequest(_("请选择要合并到的上报"))
    merge(report, into, request.user, reason=(request.POST.get("reason") or "").strip()[:300])
    return redirect("duty-report", report_id=into.pk)


@staff
@require_safe
def photo(request, report_id: int, photo_id: int):
    report = _report(request, report_id)
    # A photo still being cleaned is not served: only the cleaned JPEG ever leaves the table.
    row = ReportPhoto.objects.filter(report=report, pk=photo_id, image_sealed__isnull=False).first()
    if row is None:
        raise Http404
    audit.record("unmask", actor=request.user, reason="report photo", report=report.pk, photo=row.pk)
    response = HttpResponse(row.image(), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@staff
@require_POST
def phone(request, report_id: int):
    """The reporter's callback phone in the clear, for a call back: audited, one at a time."""
    report = _report(request, report_id)
    number = report.phone()
    if number is None:
        raise Http404
    audit.record("unmask", actor=request.user, reason=(request.POST.get("reason") or _("回访")).strip()[:200],
                 report=report.pk, field="phone")
    return JsonResponse({"phone": number})


@staff
@require_POST
def position(request):
    """Opt-in position sharing: each POST stores the latest position (kept 24 h:
    `manage.py purge_worker_positions`); `stop` deletes it at once."""
    if request.POST.get("stop"):
        WorkerPosition.objects.filter(worker=request.user).delete()
        return JsonResponse({"sharing": False})
    location = parse_point(request.POST.get("lat"), request.POST.get("lon"))
    WorkerPosition.objects.update_or_create(worker=request.user, defaults={"location": location,
                                                                          "at": timezone.now()})
    return JsonResponse({"sharing": True, "at": timezone.now().isoformat()})


@staff
@require_safe
def notifications(request):
    rows = list(notify.Notification.objects.filter(user=request.user).order_by("-created_at")[:100])
    notify.Notification.objects.filter(user=request.user, read_at=None).update(read_at=timezone.now())
    return render(request, "reports/duty_notifications.html", {"rows": rows})


urlpatterns = [
    path("", home, name="duty"),
    path("r/<int:report_id>/", detail, name="duty-report"),
    path("r/<int:report_id>/merge", merge_view, name="duty-merge"),
    path("r/<int:report_id>/phone", phone, name="duty-phone"),
    path("r/<int:report_id>/photo/<int:photo_id>.jpg", photo, name="duty-photo"),
    path("r/<int:report_id>/<slug:action>", act, name="duty-act"),
    path("position", position, name="duty-position"),
    path("notifications/", notifications, name="duty-notifications"),
    path("dashboard/", dashboard.page, name="duty-dashboard"),
    path("dashboard.csv", dashboard.csv_export, name="duty-dashboard-csv"),
    path("points/sheet.svg", sheets.sheet_svg, name="duty-points-svg"),
    path("points/sheet.pdf", sheets.sheet_pdf, name="duty-points-pdf"),
]
