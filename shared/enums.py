"""The domain's enumerations, free of SQLAlchemy (re-exported by :mod:`shared.models`).

They live here so that code which only shows figures (the desktop drawing its dashboard from a
snapshot) can name them without importing the ORM; :mod:`shared.models` re-exports every one,
so ``from shared.models import Metric`` keeps working and is the same class.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A staff member's role; one person may hold several."""

    MANAGER = "manager"  # 校长 / 店长
    FRONT_DESK = "front_desk"  # 前台
    CONSULTANT = "consultant"  # 课程顾问 (CC)
    TEACHER = "teacher"  # 教师 (also acts as 意向教师 on trials and orders)


class StudentStatus(enum.StrEnum):
    """Where a student stands in the funnel."""

    LEAD = "lead"  # 线索
    TRIAL = "trial"  # 试听
    ENROLLED = "enrolled"  # 在读
    PAUSED = "paused"  # 停课
    CHURNED = "churned"  # 流失


class SignType(enum.StrEnum):
    """签单类型."""

    NEW = "new"  # 新签
    RENEWAL = "renewal"  # 续费
    REFERRAL = "referral"  # 转介绍
    CROSS_SELL = "cross_sell"  # 扩科
    REFUND = "refund"  # 退费


class LessonStatus(enum.StrEnum):
    """A scheduled lesson's state."""

    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class AttendanceStatus(enum.StrEnum):
    """点名 result for one student at one lesson."""

    PRESENT = "present"  # 出勤
    LEAVE = "leave"  # 请假
    ABSENT = "absent"  # 旷课
    MAKEUP = "makeup"  # 补课


class ConsumptionKind(enum.StrEnum):
    """消耗类型 of a consumption (划课) entry."""

    NORMAL = "normal"  # 正常
    LEAVE_CHARGED = "leave_charged"  # 请假扣课
    ABSENCE_CHARGED = "absence_charged"  # 旷课扣课
    MAKEUP = "makeup"  # 补课
    GIFTED = "gifted"  # 赠课 (drawn from gifted hours, price 0)
    TRIAL = "trial"  # 试听 (free)
    ARREARS = "arrears"  # 欠课时: charged while no hours remained; settled by the next package


class TrialStatus(enum.StrEnum):
    """A trial lesson's state."""

    SCHEDULED = "scheduled"  # 已约
    HELD = "held"  # 已试听
    NO_SHOW = "no_show"  # 未到
    CANCELLED = "cancelled"  # 取消


class TrialOutcome(enum.StrEnum):
    """What a held trial led to."""

    PENDING = "pending"  # 跟进中
    SIGNED = "signed"  # 已签单
    NOT_SIGNED = "not_signed"  # 未签单


class Metric(enum.StrEnum):
    """The two revenue kinds every target and actual is about."""

    REVENUE = "revenue"  # 营业额 (bookings, by sign date)
    CONSUMPTION = "consumption"  # 划课收入 (by lesson date)


class PeriodKind(enum.StrEnum):
    """The level of a target."""

    YEAR = "year"
    MONTH = "month"
    WEEK = "week"  # week-of-month, see shared.periods


class TargetRole(enum.StrEnum):
    """Whose target a staff target is (员工订单目标金额 and teachers' consumption targets)."""

    CONSULTANT = "consultant"  # 课程顾问任务额
    INTENT_TEACHER = "intent_teacher"  # 意向教师任务额
    TEACHER = "teacher"  # 教师划课目标


class DefaultStage(enum.StrEnum):
    """Codes of the default work stages (环节); campuses may add their own codes."""

    INVITATION = "invitation"  # 邀约
    VISIT = "visit"  # 到访
    TRIAL = "trial"  # 试听
    SIGN = "sign"  # 签单
    RENEWAL = "renewal"  # 续费
    REFERRAL = "referral"  # 转介绍
    PARENT_CONTACT = "parent_contact"  # 家长沟通


DEFAULT_STAGE_NAMES: dict[str, str] = {
    DefaultStage.INVITATION: "邀约",
    DefaultStage.VISIT: "到访",
    DefaultStage.TRIAL: "试听",
    DefaultStage.SIGN: "签单",
    DefaultStage.RENEWAL: "续费",
    DefaultStage.REFERRAL: "转介绍",
    DefaultStage.PARENT_CONTACT: "家长沟通",
}


# ----------------------------------------------------------------- the names people read (GLOSSARY)

STUDENT_STATUS_NAMES: dict[StudentStatus, str] = {
    StudentStatus.LEAD: "线索",
    StudentStatus.TRIAL: "试听",
    StudentStatus.ENROLLED: "在读",
    StudentStatus.PAUSED: "停课",
    StudentStatus.CHURNED: "流失",
}
SIGN_TYPE_NAMES: dict[SignType, str] = {
    SignType.NEW: "新签",
    SignType.RENEWAL: "续费",
    SignType.REFERRAL: "转介绍",
    SignType.CROSS_SELL: "扩科",
    SignType.REFUND: "退费",
}
ATTENDANCE_NAMES: dict[AttendanceStatus, str] = {
    AttendanceStatus.PRESENT: "出勤",
    AttendanceStatus.LEAVE: "请假",
    AttendanceStatus.ABSENT: "旷课",
    AttendanceStatus.MAKEUP: "补课",
}
