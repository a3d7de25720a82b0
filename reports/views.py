"""The reporter's status page, reached only by the unguessable receipt token."""

from django.http import Http404
from django.shortcuts import render

from reports.models import Report


def receipt(request, token: str):
    report = (Report.objects.select_related("category").filter(receipt_token=token).first())
    if report is None:
        raise Http404
    # Only status and time line: no phone, no photos, no worker names on a page anyone with the link sees.
    events = report.events.values("at", "action", "status", "level")
    return render(request, "reports/receipt.html", {"report": report, "events": events,
                                                    "status_names": dict(Report.Status.choices)})
