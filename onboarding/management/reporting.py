"""How the import commands print their report and write it as CSV (one way for all of them)."""

from __future__ import annotations

from django.core.management.base import CommandError

from onboarding.errors import ImportFailed
from onboarding.report import Action, ImportReport

# Rows printed at normal verbosity; the CSV report (--report) or -v 2 has them all.
PRINTED_ROWS = 50


def print_rows(command, result: ImportReport, verbosity: int) -> None:
    """Print the rows that need a look: rejected, repaired, or imported with a note."""
    notable = [row for row in result.rows if row.action is Action.REJECTED or row.reason]
    shown = notable if verbosity > 1 else notable[:PRINTED_ROWS]
    for row in shown:
        line = f"#{row.feature} {row.source_id} {row.action.label if row.action else ''}: {row.reason}"
        command.stdout.write(command.style.WARNING(line) if row.action is Action.REJECTED else line)
    if len(shown) < len(notable):
        command.stdout.write(f"… {len(notable) - len(shown)} more; see --report FILE.csv or -v 2")


def write_report(command, result: ImportReport, path: str | None) -> None:
    if not path:
        return
    # utf-8-sig: Excel, which planners open the report with, needs the BOM to read Chinese text.
    with open(path, "w", newline="", encoding="utf-8-sig") as stream:
        result.write_csv(stream)
    command.stdout.write(f"report: {path}")


def run_import(command, run, *, report_path: str | None, verbosity: int) -> ImportReport:
    """Run an import for a command: rows that need a look, notes, the CSV report and the summary;
    a failed import still prints and writes the rows it has, then fails the command."""
    try:
        result = run()
    except ImportFailed as exc:
        if exc.report is not None:
            print_rows(command, exc.report, verbosity)
            write_report(command, exc.report, report_path)
        raise CommandError(str(exc)) from exc
    print_rows(command, result, verbosity)
    write_report(command, result, report_path)
    for note in result.notes:
        command.stdout.write(note)
    command.stdout.write(command.style.SUCCESS(result.summary()))
    return result
