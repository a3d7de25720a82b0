"""What public pages (the map, kiosks, the screen) may show of the safety rating: the colours made
by a published rule set, and a legend when there is one."""

from __future__ import annotations

from django.utils.translation import gettext as _

from safety.models import COLOURS, HEX, Colour, RuleSet


def published(community=None) -> bool:
    """Whether colours are public: for a community, its active rule set is published; without one,
    any active rule set is."""
    if community is None:
        return RuleSet.objects.filter(active=True, published=True).exists()
    from safety.services import rule_set_for

    rule_set = rule_set_for(community)
    return bool(rule_set and rule_set.published)


def legend(community=None) -> list[dict]:
    """Legend entries (worst first), or none when no colour is public."""
    if not published(community):
        return []
    labels = {Colour.RED: _("红色：预警"), Colour.YELLOW: _("黄色：关注"), Colour.GREEN: _("绿色：平安")}
    return [{"colour": c.value, "hex": HEX[c], "label": labels[c]} for c in reversed(COLOURS)]
