"""Failures of an import as a whole. Nothing was written when one of these is raised.

They are BadRequest (400) domain errors: the file or the options are wrong, and the message says
how to fix them. Single features or rows that fail are not errors but report rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gis_core.errors import BadRequest

if TYPE_CHECKING:
    from onboarding.report import ImportReport


class ImportFailed(BadRequest):
    """Base of all import failures."""

    code = "import_failed"

    def __init__(self, message, report: ImportReport | None = None):
        super().__init__(message)
        # Set when the failure came after the features were read: the rows say why each failed.
        self.report = report


class SourceUnreadable(ImportFailed):
    """Missing, unreadable or non-local file (URLs and GDAL virtual paths are refused)."""


class UnknownLayer(ImportFailed):
    """The layer (or sheet) asked for does not exist, or the source has several; the message lists them."""


class UnknownField(ImportFailed):
    """A field named in the options does not exist, or a required one is missing; the message lists the fields."""


class CRSProblem(ImportFailed):
    """No CRS, an unknown one, or coordinates that cannot be in it; the message suggests a fix."""


class NothingImported(ImportFailed):
    """The source has no usable feature; ``report`` gives the reason for each one."""


class Rejected(Exception):
    """One feature or row cannot be imported (flow control inside the importers, becomes a report row)."""
