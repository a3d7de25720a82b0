"""Quality-level tables (pixels per metre at the target) as data. The migration loads them;
`ensure_tables()` restores them where a database was emptied (e.g. between transactional tests)."""

TABLES = {
    "en62676-4-2015": ("EN/IEC 62676-4:2015 (DORI)", [
        ("monitor", "监视", "Monitor", 12.5),
        ("detect", "探测", "Detect", 25),
        ("observe", "观察", "Observe", 62.5),
        ("recognise", "识别", "Recognise", 125),
        ("identify", "辨认", "Identify", 250),
        ("inspect", "检查", "Inspect", 1000),
    ]),
    "iec62676-4-2025": ("IEC 62676-4 (2024/25, seven levels)", [
        ("overview", "概览", "Overview", 20),
        ("outline", "轮廓", "Outline", 40),
        ("discern", "分辨", "Discern", 80),
        ("perceive", "感知", "Perceive", 125),
        ("characterise", "特征", "Characterise", 250),
        ("validate", "核验", "Validate", 500),
        ("scrutinise", "细查", "Scrutinise", 1500),
    ]),
}


def load(QualityTable, QualityLevel) -> None:
    for code, (name, levels) in TABLES.items():
        table, _ = QualityTable.objects.update_or_create(code=code, defaults={"name": name})
        for lcode, zh, en, ppm in levels:
            QualityLevel.objects.update_or_create(table=table, code=lcode,
                                                  defaults={"name": zh, "name_en": en, "ppm": ppm})


def ensure_tables() -> None:
    from coverage.models import QualityLevel, QualityTable

    if not QualityTable.objects.filter(code__in=TABLES).count() == len(TABLES):
        load(QualityTable, QualityLevel)
