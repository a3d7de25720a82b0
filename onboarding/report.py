"""The per-feature (or per-row) report every import produces: printed, written as CSV, shown in the admin."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from django.utils.translation import gettext as _

from gis_core import csvexport


class Action(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REPAIRED = "repaired"  # geometry repaired, then created, updated or unchanged (the reason says which)
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return f"{_ACTION_ZH[self]} {self.value}"


_ACTION_ZH = {
    Action.CREATED: "新建",
    Action.UPDATED: "更新",
    Action.UNCHANGED: "未变",
    Action.REPAIRED: "已修复",
    Action.REJECTED: "拒绝",
}


@dataclass
class ReportRow:
    feature: int  # 1-based position of the feature in the layer (the row number in a spreadsheet)
    source_id: str  # what identifies it in the file: an id, a code, "building floor-room"
    action: Action | None = None  # None only while the feature is being processed
    reason: str = ""
    code: str = ""  # the code written, when one was


@dataclass
class ImportReport:
    path: str
    layer: str
    source: str
    crs: str
    dry_run: bool
    rows: list[ReportRow] = field(default_factory=list)
    elapsed_s: float = 0.0
    encoding: str = ""  # how the text of the source was decoded
    notes: list[str] = field(default_factory=list)  # findings about the whole import (gaps, kept lets…)

    CSV_COLUMNS = ("feature", "source_id", "code", "action", "reason")

    def counts(self) -> dict[Action, int]:
        tally = Counter(row.action for row in self.rows)
        return {action: tally[action] for action in Action}

    @property
    def imported(self) -> int:
        return sum(1 for row in self.rows if row.action is not Action.REJECTED)

    @property
    def rejected(self) -> list[ReportRow]:
        return [row for row in self.rows if row.action is Action.REJECTED]

    def summary(self) -> str:
        head = _("试运行，未写入") if self.dry_run else _("导入完成")
        counts = ", ".join(f"{action.label} {n}" for action, n in self.counts().items())
        return (f"{head}: {self.path} [{self.layer}, {self.crs}] → source {self.source!r}: {counts}; "
                f"{self.elapsed_s:.1f} s")

    def write_csv(self, stream: TextIO) -> None:
        writer = csvexport.writer(stream)
        writer.writerow(self.CSV_COLUMNS)
        for row in self.rows:
            writer.writerow([row.feature, row.source_id, row.code, row.action, row.reason])


def reject(row: ReportRow, reason: str) -> None:
    row.action, row.reason = Action.REJECTED, reason
