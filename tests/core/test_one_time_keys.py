"""Keys shown once, stored as a digest (gis_core/keys.py, gis_core.admin_base.OneTimeKeyAdmin):
the service hall screens and the Open311 clients issue, show and check them the same way."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from gis_core.keys import digest
from reports.open311.models import ApiClient
from screen.models import Screen

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client):
    user = get_user_model().objects.create_superuser("key-boss", "k@example.org", "pw-key-boss-1")
    client.force_login(user)
    return user


def _shown_key(response) -> str:
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    found = re.search(r"(?:key=)?([A-Za-z0-9_-]{32})</code>", text)
    assert found, text
    return found.group(1)


@pytest.mark.parametrize("kind", ["screen", "open311"])
def test_added_shown_once_renewed_and_checked(client, boss, community, kind):
    if kind == "screen":
        add, data = "/admin/screen/screen/add/", {"community": community.pk, "name": "主屏", "active": "on"}
        model, find = Screen, (lambda key: Screen.find(community, key))
        changelist, label = "/admin/screen/screen/", "签发新密钥（旧密钥立即失效）"
    else:
        add, data = "/admin/open311/apiclient/add/", {"name": "热线 App", "contact": "", "active": "on"}
        model, find = ApiClient, ApiClient.find
        changelist, label = "/admin/open311/apiclient/", "签发新 api_key（旧密钥立即失效）"
    response = client.post(add, data)
    assert response.status_code == 302
    key = _shown_key(response)
    obj = model.objects.get()
    assert obj.key_digest == digest(key) and key not in obj.key_digest
    assert find(key) == obj and find("x" * 32) is None and find("") is None and find("k" * 101) is None
    assert label in client.get(changelist).content.decode()
    response = client.post(changelist, {"action": "new_key", "_selected_action": [obj.pk]})
    renewed = _shown_key(response)
    assert renewed != key and find(renewed) == obj and find(key) is None
    model.objects.filter(pk=obj.pk).update(active=False)
    assert find(renewed) is None
    if kind == "screen":  # a screen's key opens its own community only
        from tests.factories import make_community

        other = make_community(code="530112001099")
        model.objects.filter(pk=obj.pk).update(active=True)
        assert Screen.find(other, renewed) is None
