import pytest


@pytest.fixture
def staff_with(db, django_user_model):
    """A staff user holding the given permissions ("app.codename")."""
    from django.contrib.auth.models import Permission

    def make(*perms, username="staff"):
        user = django_user_model.objects.create_user(username, password="x", is_staff=True)
        for perm in perms:
            app, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label=app))
        return user

    return make
