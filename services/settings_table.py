"""The operators' table of settings, checked against `config.Settings` so it cannot drift from the code.

The code owns each row's name, default and secrecy; docs/OPERATIONS.md owns only "what it does".
`python -m services.settings_table` prints the table with any missing row added (`--write` saves it).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import AliasChoices, SecretStr

from services.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "OPERATIONS.md"
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"
HEADER = "| setting | default | what it does | secret |\n| --- | --- | --- | --- |"
TODO = "TODO: say what it does"
# Plain strings that carry a password all the same.
SECRET_STRINGS = {"database_url", "database_migration_url"}
# Read outside Settings (the process environment only): name → the file that reads it, and its default.
EXTRA = {
    "WEB_CONCURRENCY": ("services/serving_capacity.py", "one per core"),
    "DASHBOARD_PORT": ("Procfile", "`8501`"),
    "PORT": ("deploy/Procfile", "set by the platform"),
}
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Row:
    """One setting as the table shows it."""

    name: str  # the first cell, e.g. "`DATABASE_URL`"
    default: str
    secret: str  # "yes" or "no"
    description: str = TODO

    def markdown(self) -> str:
        """The row as a markdown table line."""
        return f"| {self.name} | {self.default} | {self.description} | {self.secret} |"


def expected_rows() -> list[Row]:
    """Every Settings field, then the EXTRA variables, as the code defines them (descriptions left out)."""
    rows = []
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [field_name.upper()]
        secret = "SecretStr" in str(field.annotation) or field.annotation is SecretStr or field_name in SECRET_STRINGS
        rows.append(
            Row(
                " or ".join(f"`{name}`" for name in names),
                _default(field.default),
                "yes" if secret else "no",
                field.description or TODO,
            )
        )
    return rows + [Row(f"`{name}`", default, "no") for name, (_, default) in EXTRA.items()]


def _default(value) -> str:
    """A default as the table writes it: `value`, or "unset"."""
    if value is None:
        return "unset"
    if isinstance(value, timedelta):  # as the setting is written: seconds
        return f"`{value.total_seconds():g}` s"
    return f"`{value}`"


def documented(markdown: str) -> dict[str, list[str]]:
    """First cell → all cells of each row between the markers."""
    table = markdown.split(START, 1)[1].split(END, 1)[0] if START in markdown else ""
    rows = {}
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in _CELL_SPLIT.split(line.strip().strip("|"))]
        rows[cells[0]] = cells
    return rows


def problems(markdown: str) -> list[str]:
    """What is out of date, each with the exact row to paste; empty when the table matches the code."""
    found, expected = documented(markdown), expected_rows()
    names = {row.name for row in expected}
    missing = [row.markdown() for row in expected if row.name not in found]
    wrong = [
        Row(row.name, row.default, row.secret, found[row.name][2] if len(found[row.name]) > 2 else TODO).markdown()
        for row in expected
        if row.name in found and (found[row.name][1:2] != [row.default] or found[row.name][3:4] != [row.secret])
    ]
    stale = [name for name in found if name not in names]
    report = []
    if missing:
        report.append(f"Add these rows to the settings table in {DOC.name} (and say what each does):")
        report += missing
    if wrong:
        report.append("Replace these rows (default or secret differ from services/config.py):")
        report += wrong
    if stale:
        report.append("Remove these rows (no such setting in services/config.py or EXTRA): " + ", ".join(stale))
    return report


def table(markdown: str) -> str:
    """The whole table, with the documented descriptions kept and missing rows added."""
    found = documented(markdown)
    lines = [HEADER]
    for row in expected_rows():
        known = found.get(row.name)
        description = known[2] if known and len(known) > 2 and known[2] else row.description
        lines.append(Row(row.name, row.default, row.secret, description).markdown())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the up-to-date table, or write it into docs/OPERATIONS.md with --write."""
    parser = argparse.ArgumentParser(prog="python -m services.settings_table", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"replace the table in {DOC}")
    args = parser.parse_args(argv)
    markdown = DOC.read_text()
    fresh = table(markdown)
    if not args.write:
        sys.stdout.write(fresh + "\n")
        return 0
    before, rest = markdown.split(START, 1)
    DOC.write_text(f"{before}{START}\n{fresh}\n{END}{rest.split(END, 1)[1]}")
    sys.stdout.write(f"Updated the settings table in {DOC}.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
