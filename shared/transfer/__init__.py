"""Data in and out: the Excel/CSV import of a school's records, its template, and the export.

* :func:`write_template` — the empty workbook with Chinese headers and a 说明 sheet;
* :func:`export_entities` — a campus's students, parents, courses, orders and attendance in the
  same format (.xlsx, or .csv for one kind);

The format (sheets, headers, natural keys) is described in :mod:`shared.transfer.layout`.
"""

from __future__ import annotations

from .export import ExportResult, export_entities, write_template
from .layout import ENTITY_KINDS, SHEET_NAMES

__all__ = [
    "ENTITY_KINDS",
    "SHEET_NAMES",
    "ExportResult",
    "export_entities",
    "write_template",
]
