"""/open311/v2/…: each resource with its format as the extension (.json or .xml)."""

from django.urls import re_path

from reports.open311 import views

app_name = "open311"
FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    re_path(r"^open311/v2/discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^open311/v2/services" + FMT, views.services, name="services"),
    re_path(r"^open311/v2/services/(?P<code>[^/]{1,60}?)" + FMT, views.service_definition, name="service"),
    re_path(r"^open311/v2/requests" + FMT, views.requests, name="requests"),
    re_path(r"^open311/v2/requests/(?P<pk>[^/]{1,40}?)" + FMT, views.request_detail, name="request"),
    re_path(r"^open311/v2/tokens/(?P<token>[^/]{1,60}?)" + FMT, views.token, name="token"),
    re_path(r"^open311/", views.unknown, name="unknown"),
]
