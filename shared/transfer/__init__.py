"""Data in and out: the Excel/CSV import of a school's records, its template, and the export.

* :func:`write_template` — the empty workbook with Chinese headers and a 说明 sheet;
* :func:`export_entities` — a campus's students, parents, courses, orders and attendance in the
  same format (.xlsx, or .csv for one kind);
* :func:`plan_import` — read and check a file (.xlsx or .csv) against a campus, writing
  nothing: every problem by 表/行/列, the duplicate students, the staff to be created;
* :func:`commit_import` — write a plan without problems in one transaction, merging or
  skipping each duplicate as decided.

The format (sheets, headers, natural keys) is described in :mod:`shared.transfer.layout`, the
rules of the check in :mod:`shared.transfer.plan`, how rows are written in
:mod:`shared.transfer.commit`.
"""

from __future__ import annotations

from .commit import ImportResult, commit_import
from .export import ExportResult, export_entities, resolve_campus, write_template
from .layout import ENTITY_KINDS, SHEET_NAMES
from .plan import MERGE, SKIP, Duplicate, ImportPlan, NewStaff, describe_key, plan_import
from .reader import MAX_FILE_BYTES, FileRefused, Problem

__all__ = [
    "ENTITY_KINDS",
    "MAX_FILE_BYTES",
    "MERGE",
    "SHEET_NAMES",
    "SKIP",
    "Duplicate",
    "ExportResult",
    "FileRefused",
    "ImportPlan",
    "ImportResult",
    "NewStaff",
    "Problem",
    "commit_import",
    "describe_key",
    "export_entities",
    "plan_import",
    "resolve_campus",
    "write_template",
]
