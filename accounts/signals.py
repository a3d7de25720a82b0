"""Every change of a user's roles goes to the audit log (who was given or lost which role)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from accounts.roles import Role


@receiver(m2m_changed, sender=get_user_model().groups.through)
def audit_role_change(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    from audit.log import record

    names = set(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True)) & set(Role.values)
    if reverse:  # group.user_set.add(...): instance is the group, pk_set the users
        users = list(get_user_model().objects.filter(pk__in=pk_set).values_list("username", flat=True))
        names = {instance.name} & set(Role.values)
    else:
        users = [instance.get_username()]
    for role in sorted(names):
        for username in users:
            record("role", reason="granted" if action == "post_add" else "revoked", user=username, role=role)
