"""The shipped vocabulary and default rule set (loaded by migration 0002; `ensure()` puts them back
where a database was emptied, e.g. between transactional tests). Where each number comes from is
in docs/administrator.md, "Setting the safety rules".

Jinshui district (Zhengzhou) rates compounds red, yellow or green by their monthly property-crime
incidents, and two red months in a row have consequences (shared notes, community.md). So:

* only property crime counts, each incident once (weight 1); other police categories and resident
  reports are listed with weight 0, for an administrator to raise;
* the window is 30 days, one month;
* the cut-offs are OUR choice, not published figures: in a courtyard grid of Chuanfang's size
  (76,300 residents in 24 grids ≈ 3,200 each) one property crime a month makes it yellow and three
  make it red — 0.3 and 0.9 per 1,000 residents;
* a floor of 100 residents (our choice) keeps a nearly empty grid from turning red on one incident;
* the product's own facts (coverage, registration on time, overdue reports) are off: Jinshui's
  rating does not use them. Coverage is measured at Observe (62.5 px/m) when switched on.
"""

from __future__ import annotations

from decimal import Decimal

# code, name, property crime
CATEGORIES = [
    ("theft", "盗窃", True),
    ("burglary", "入室盗窃", True),
    ("vehicle_theft", "盗窃电动车、自行车", True),
    ("robbery", "抢劫、抢夺", True),
    ("fraud", "诈骗", True),
    ("fight", "打架斗殴", False),
    ("disturbance", "扰乱秩序", False),
    ("drugs", "涉毒", False),
    ("gambling", "赌博", False),
    ("fire", "火灾", False),
    ("other", "其他", False),
]
REPORT_CATEGORIES = ["safety", "fire", "sanitation", "facility", "dispute", "other"]

DEFAULT_NAME = "三色管理（默认，参照金水区）"
DEFAULT_RULES = {
    "window_days": 30, "default_weight": Decimal("0"), "min_residents": 100,
    "yellow_at": Decimal("0.300"), "red_at": Decimal("0.900"), "grid_kinds": ["courtyard"],
    "registration_days": 3,
    "note": ("金水区按每月侵财类案件评定红黄绿（共享资料 community.md）。侵财类每起计 1，其他类别和群众上报计 0。"
             "阈值为本产品的选择：约 3,200 人的围院式网格（川坊 76,300 人 / 24 个网格）每月 1 起为黄色、3 起为红色，"
             "即每千人 0.3 和 0.9。视频覆盖、按时登记、超时上报三项默认不启用。"),
}


def load(IncidentCategory, RuleSet, CategoryWeight, QualityLevel=None) -> None:
    for sort, (code, name, prop) in enumerate(CATEGORIES):
        IncidentCategory.objects.update_or_create(code=code, defaults={"name": name, "property_crime": prop,
                                                                       "sort": sort})
    if RuleSet.objects.filter(community__isnull=True).exists():
        return
    level = None
    if QualityLevel is not None:
        level = QualityLevel.objects.filter(table__code="en62676-4-2015", code="observe").first()
    rule_set = RuleSet.objects.create(name=DEFAULT_NAME, community=None, active=True, published=False,
                                      coverage_level=level, **DEFAULT_RULES)
    weights = [CategoryWeight(rule_set=rule_set, source="police", category=code, weight=Decimal(1 if prop else 0))
               for code, _name, prop in CATEGORIES]
    weights += [CategoryWeight(rule_set=rule_set, source="reports", category=code, weight=Decimal(0))
                for code in REPORT_CATEGORIES]
    CategoryWeight.objects.bulk_create(weights)


def ensure() -> None:
    from coverage.levels import ensure_tables
    from coverage.models import QualityLevel
    from safety.models import CategoryWeight, IncidentCategory, RuleSet

    if not IncidentCategory.objects.exists() or not RuleSet.objects.filter(community__isnull=True).exists():
        ensure_tables()
        load(IncidentCategory, RuleSet, CategoryWeight, QualityLevel)
