"""Target decomposition (目标分解): year → months → weeks-of-month → people.

One set of plain services that the desktop, the phone API and reports all call; results are
frozen dataclasses. Every split goes through :func:`shared.money.split_by_weights` (largest
remainder), so at every level the parts add up to their whole exactly, to the fen
(DESIGN.md invariant 4):

* :mod:`.spread` — pure previews: :func:`preview_year`, :func:`preview_month`, the
  :class:`SpreadMethod` rules (``even`` by days, ``day_weights`` by the campus profile — the
  default —, ``seasonality`` by last year's actual months), hand-set overrides.
* :mod:`.campus` — campus targets in the database: :func:`save_year_plan`,
  :func:`set_year_target`, :func:`set_month_target`, :func:`set_part_manually`,
  :func:`clear_manual`, each returning a :class:`ChangeReport`.
* :mod:`.staff` — people's targets split from the campus month: consultants' and intent
  teachers' order targets by the manager's weights, teachers' 划课收入 targets by the value of
  their scheduled lessons.

Weeks follow the week-of-month rule of :mod:`shared.periods` (a week never straddles two
months). Errors are :class:`shared.errors.Invalid` naming the offending field, raised before
anything is written.
"""

from .campus import (
    clear_manual,
    last_year_actuals,
    load_year_plan,
    preview_campus_year,
    save_year_plan,
    set_month_target,
    set_part_manually,
    set_year_target,
)
from .spread import (
    DEFAULT_METHOD,
    MonthPlan,
    PlannedWeek,
    SpreadMethod,
    YearPlan,
    preview_month,
    preview_year,
    split_grid,
)
from .staff import (
    StaffPlan,
    check_staff_weights,
    load_staff_targets,
    scheduled_lesson_values,
    split_staff_order_targets,
    split_teacher_consumption_targets,
)
from .store import ChangeReport, TargetChange

__all__ = [
    "DEFAULT_METHOD",
    "ChangeReport",
    "MonthPlan",
    "PlannedWeek",
    "SpreadMethod",
    "StaffPlan",
    "TargetChange",
    "YearPlan",
    "check_staff_weights",
    "clear_manual",
    "last_year_actuals",
    "load_staff_targets",
    "load_year_plan",
    "preview_campus_year",
    "preview_month",
    "preview_year",
    "save_year_plan",
    "scheduled_lesson_values",
    "set_month_target",
    "set_part_manually",
    "set_year_target",
    "split_grid",
    "split_staff_order_targets",
    "split_teacher_consumption_targets",
]
