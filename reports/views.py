"""The resident's side, with no app and no account: the phone page behind a patrol point's QR code
(or a building door code's / a kiosk's "report a problem" button), its JSON endpoints, and the
reporter's status page reached only by the unguessable receipt token."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from gis_core.errors import BadRequest, DomainError
from reports import clock, dispatch, photos
from reports.models import Category, Report, ReportEvent
from reports.places import resolve
from reports.services import DUPLICATE_RADIUS_M, MAX_DESCRIPTION, nearby_open
from reports.services import submit as submit_report


def _json_error(e: DomainError) -> JsonResponse:
    response = JsonResponse(e.body(), status=e.status, json_dumps_params={"ensure_ascii": False})
    if "retry_after" in e.fields:
        response["Retry-After"] = str(e.fields["retry_after"])
    return response


@require_safe
@ensure_csrf_cookie
@cache_control(private=True, no_cache=True)
def form(request, token: str, kind: str):
    """The phone page: category, description, up to 3 photos, optional callback phone; nearby open
    reports of the chosen category are offered before submitting. Inline CSS and JS, nothing else."""
    place = resolve(kind, token)
    categories = list(Category.objects.filter(active=True).values("code", "name"))
    return render(request, "reports/form.html", {
        "place": place, "categories": categories, "max_photos": photos.MAX_PHOTOS,
        "max_mb": photos.MAX_BYTES // (1024 * 1024), "max_description": MAX_DESCRIPTION,
        "radius": DUPLICATE_RADIUS_M, "kiosk": kind == "k",
        "config": {"submit": place.url("submit"), "nearby": place.url("nearby"), "maxPhotos": photos.MAX_PHOTOS,
                   "maxMb": photos.MAX_BYTES // (1024 * 1024), "strings": _strings(),
                   "kiosk": token if kind == "k" else "", "kioskHome": reverse("kiosk:page", args=[token]) if kind == "k" else ""},
    })


def _strings() -> dict:
    return {"same": _("我也遇到了"), "cat": _("请选择问题类别"), "desc": _("请简要描述问题"),
            "many": _("最多 %(n)d 张照片") % {"n": photos.MAX_PHOTOS},
            "big": _("照片不能超过 %(mb)d MB") % {"mb": photos.MAX_BYTES // (1024 * 1024)},
            "m": _("米"), "net": _("网络不通，请稍后再试"), "sending": _("正在提交…")}


@require_POST
def submit(request, token: str, kind: str):
    """201 {id, receipt} or 4xx {detail}. `join`: add yourself to a nearby open report instead."""
    place = resolve(kind, token)
    try:
        join = request.POST.get("join") or None
        if join is not None and not join.isdigit():
            raise BadRequest(_("该问题已办结或不在附近，请重新提交"), field="join")
        report = submit_report(
            request, category_code=request.POST.get("category", ""), description=request.POST.get("description", ""),
            phone=request.POST.get("phone"), photos=[f.read(photos.MAX_BYTES + 1) for f in request.FILES.getlist("photo")],
            join=int(join) if join else None, **place.report_kwargs(),
        )
    except DomainError as e:
        return _json_error(e)
    return JsonResponse({"id": report.pk, "receipt": reverse("report-receipt", args=[report.receipt_token]),
                         "joined": report.duplicate_of_id}, status=201)


@require_safe
def nearby(request, token: str, kind: str):
    """Open reports of the chosen category within 50 m ("is it one of these?"): description,
    status and age only, nothing about who reported; none of a sensitive category."""
    place = resolve(kind, token)
    category = Category.objects.filter(code=request.GET.get("category", ""), active=True).first()
    if category is None:
        return JsonResponse({"detail": _("未知的问题类别")}, status=400, json_dumps_params={"ensure_ascii": False})
    if category.sensitive:  # a neighbour's dispute is nobody else's business: nothing to join
        return JsonResponse({"results": []})
    rows = nearby_open(category, place.location).prefetch_related("duplicates")[:10]
    return JsonResponse({"results": [
        {"id": r.pk, "description": r.description, "status": r.get_status_display(),
         "created_at": r.created_at.isoformat(), "distance_m": round(r.distance_m),
         "followers": len(r.duplicates.all())} for r in rows
    ]}, json_dumps_params={"ensure_ascii": False})


@require_safe
@never_cache
def receipt(request, token: str):
    report = Report.objects.select_related("category", "duplicate_of__category").filter(receipt_token=token).first()
    if report is None:
        raise Http404
    # A report joined to (or merged into) another follows that one: its status and time line.
    shown = report.duplicate_of or report
    # Only status and time line: no phone, no photos, no worker names on a page anyone with the link sees.
    events = list(shown.events.values("at", "action", "status", "level", "reason"))
    if shown is not report:  # the reporter's own photos that could not be used
        events = sorted(events + list(report.events.filter(action="photo_dropped").values(
            "at", "action", "status", "level", "reason")), key=lambda e: e["at"])
    names = dict(Report.Status.choices)
    for e in events:
        e["status_name"] = names.get(e["status"], e["status"])
        e["action_name"] = ReportEvent.action_label(e["action"])
        if e["action"] == "photo_dropped":  # why the worker dropped it, stored untranslated
            e["reason"] = _(e["reason"])
        elif e["action"] != "unresolvable":  # the assignee's reason for the resident; others are internal
            e["reason"] = ""
    can_verdict = report.duplicate_of_id is None and report.status == Report.Status.RESOLVED and \
        report.resolved_at is not None and dispatch.within_verdict_window(report)
    return render(request, "reports/receipt.html", {
        "report": report, "shown": shown, "events": events, "can_verdict": can_verdict,
        # Counts only: the photos themselves are for staff.
        "photos_processing": report.photos.filter(image_sealed=None).count(),
        "message": request.GET.get("m", "") in VERDICT_MESSAGES and VERDICT_MESSAGES[request.GET["m"]],
        # Reported at a kiosk: a way back to its home page (a slug, looked up, never echoed raw).
        "kiosk_home": _kiosk_home(request.GET.get("k", "")),
    })


def _kiosk_home(code: str) -> str:
    from kiosk.models import Kiosk

    return reverse("kiosk:page", args=[code]) if code and Kiosk.objects.filter(code=code).exists() else ""


@require_POST
def verdict(request, token: str):
    """核查: the reporter confirms the resolution or reopens the report, within 3 days."""
    report = Report.objects.filter(receipt_token=token, duplicate_of=None).first()
    if report is None:
        raise Http404
    choice = request.POST.get("verdict")
    if choice not in ("confirm", "reopen"):
        raise BadRequest(_("请选择确认办结或重新打开"))
    reason = (request.POST.get("reason") or "").strip()[:300]
    clock.schedule(dispatch.reporter_verdict(report, confirm=choice == "confirm", reason=reason))
    return redirect(reverse("report-receipt", args=[token]) + f"?m={choice}")


VERDICT_MESSAGES = {"confirm": gettext_lazy("感谢确认，本问题已结案。"), "reopen": gettext_lazy("已重新打开，将重新派单处理。")}
