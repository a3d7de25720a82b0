from django.urls import include, path

from reports import duty, views
from reports.places import KINDS

# The resident's phone page and its endpoints, at each kind of place: a patrol point's QR code
# (/p/<token>/), a building door code's button (/b/<token>/report/), a kiosk's button
# (/kiosk/<code>/report/). URL names: report-form|submit|nearby-point|building|kiosk.
PREFIXES = {"p": "p/<str:token>/", "b": "b/<str:token>/report/", "k": "kiosk/<slug:token>/report/"}

urlpatterns = [
    path("report/<str:token>/", views.receipt, name="report-receipt"),
    path("report/<str:token>/verdict", views.verdict, name="report-verdict"),
    path("duty/", include(duty.urlpatterns)),
]
for kind, prefix in PREFIXES.items():
    urlpatterns += [
        path(prefix, views.form, {"kind": kind}, name=f"report-form-{KINDS[kind]}"),
        path(prefix + "submit", views.submit, {"kind": kind}, name=f"report-submit-{KINDS[kind]}"),
        path(prefix + "nearby", views.nearby, {"kind": kind}, name=f"report-nearby-{KINDS[kind]}"),
    ]
