"""The append-only audit log: every card reading, every tenant–room link change, every unmasking
and every export (who, when, what, why). A database trigger rejects UPDATE and DELETE, so not even
code with database access can rewrite history (migration 0001).

No foreign keys: an entry must outlive the rows it mentions and must never be changed by a
cascade; it keeps their ids and a label.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CARD_READ = "card_read", _("读卡")
        CHECK_IN = "check_in", _("入住登记")
        CHECK_OUT = "check_out", _("退租")
        UNMASK = "unmask", _("查看明文")
        EXPORT = "export", _("导出")
        ROLE = "role", _("角色变更")
        OVERRIDE = "override", _("人工调整评定")
        LANDLORD = "landlord", _("房东自助修改")  # /my/ (landlords/): reason names the operation
        LOOKUP = "lookup", _("按身份证号查询")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    action = models.CharField(_("操作"), max_length=12, choices=Action.choices)
    actor_id = models.IntegerField(_("操作人编号"), null=True, blank=True)
    actor = models.CharField(_("操作人"), max_length=150, blank=True)
    kiosk = models.CharField(_("终端机"), max_length=40, blank=True)
    person_id = models.BigIntegerField(_("租户编号"), null=True, blank=True)
    tenancy_id = models.BigIntegerField(_("租住关系编号"), null=True, blank=True)
    room_id = models.BigIntegerField(_("房间编号"), null=True, blank=True)
    reason = models.TextField(_("事由"), blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)
