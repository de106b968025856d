"""The import/export format: one sheet per kind of record, Chinese headers, natural keys.

The template, the export and the import share these definitions, so a file written by
:func:`shared.transfer.export_entities` is exactly what the import expects.

References between sheets use the keys people know, never database ids:

* a student is 学员姓名 + 联系电话 (the phone of the student's main contact, a parent); a
  student without parents has an empty 联系电话;
* a parent is its 电话; the 家长 sheet has one row per parent and child (a parent of two children
  appears twice, with the same details);
* a course is its 课程名称; a staff member is their 姓名 (names not yet in the file are created
  as staff without PIN, with the roles the sheets use them in);
* an order is its 订单号, any text unique in the sheet; a 退费 row names the order it refunds in
  原订单号 (that order must be in the same file);
* a lesson is 上课日期 + 开始时间 + 课程 + 教师 + 教室; the 上课记录 sheet has one row per
  student and lesson (点名), the lesson's details repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

ENTITY_KINDS: tuple[str, ...] = ("students", "parents", "courses", "orders", "attendance")

SHEET_NAMES: dict[str, str] = {
    "students": "学员",
    "parents": "家长",
    "courses": "课程",
    "orders": "订单",
    "attendance": "上课记录",
}
KIND_OF_SHEET: dict[str, str] = {name: kind for kind, name in SHEET_NAMES.items()}
README_SHEET = "说明"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet: its header, the field it fills, whether it must be filled."""

    header: str
    field: str
    required: bool = False
    hint: str = ""
    export_only: bool = False  # written by the export for people to read; ignored on import
    width: int = 12


COLUMNS: dict[str, tuple[Column, ...]] = {
    "students": (
        Column("学员姓名", "name", True, "学员的姓名", width=10),
        Column(
            "联系电话", "phone", False, "主要联系人（家长）的电话；与姓名一起识别学员", width=14
        ),
        Column("性别", "gender", False, "男 / 女 / 不填", width=6),
        Column("出生日期", "birth_on", False, "如 2018-05-01", width=12),
        Column("学校", "school", False, "", width=16),
        Column("年级", "grade", False, "", width=8),
        Column(
            "状态",
            "status",
            False,
            "线索 / 试听 / 在读 / 停课 / 流失；不填为线索（有订单的为在读）",
            width=8,
        ),
        Column("课程顾问", "consultant", False, "员工姓名", width=10),
        Column("来源", "source", False, "如 地推、转介绍", width=10),
        Column("首次接触日期", "first_contact_on", False, "", width=12),
        Column("备注", "notes", False, "", width=20),
    ),
    "parents": (
        Column("家长姓名", "name", True, "", width=10),
        Column("电话", "phone", True, "手机号或带区号的固定电话；识别家长", width=14),
        Column("备用电话", "phone2", False, "", width=14),
        Column("微信", "wechat", False, "", width=12),
        Column("备注", "notes", False, "", width=16),
        Column("学员姓名", "student_name", False, "该家长的孩子；有几个孩子就写几行", width=10),
        Column(
            "学员联系电话",
            "student_phone",
            False,
            "学员表中该学员的联系电话；不填即本行电话",
            width=14,
        ),
        Column("关系", "relation", False, "母亲、父亲、奶奶、爷爷、外婆、外公、其他", width=8),
        Column("主要联系人", "is_primary", False, "是 / 否", width=10),
    ),
    "courses": (
        Column("课程名称", "name", True, "", width=14),
        Column("科目", "subject", False, "", width=10),
        Column("课时单价（元）", "price", True, "每课时的标准价格，如 150 或 1,280.50", width=14),
        Column("每节课时", "hours_per_lesson", False, "不填为 1", width=10),
        Column("状态", "active", False, "在售 / 停售；不填为在售", width=8),
    ),
    "orders": (
        Column("订单号", "number", False, "表内唯一的编号；退费行用它指明原订单", width=10),
        Column("学员姓名", "student_name", True, "", width=10),
        Column("联系电话", "student_phone", False, "学员表中该学员的联系电话", width=14),
        Column("课程", "course", True, "课程名称", width=14),
        Column("签单类型", "sign_type", True, "新签 / 续费 / 转介绍 / 扩科 / 退费", width=10),
        Column("签单日期", "signed_on", True, "", width=12),
        Column("课时", "hours", True, "购买的付费课时；退费行为退回的课时", width=8),
        Column("赠送课时", "gift_hours", False, "不填为 0", width=10),
        Column("金额（元）", "amount", True, "实收金额；退费行为退款金额（可写负数）", width=12),
        Column("课程顾问", "consultant", False, "员工姓名", width=10),
        Column("意向教师", "intent_teacher", False, "员工姓名", width=10),
        Column("原订单号", "refund_of", False, "退费行必填：所退订单的订单号", width=10),
        Column("备注", "notes", False, "", width=16),
    ),
    "attendance": (
        Column("上课日期", "lesson_on", True, "", width=12),
        Column("开始时间", "starts", True, "如 16:00", width=10),
        Column("结束时间", "ends", False, "不填则按课时推算", width=10),
        Column("课程", "course", True, "课程名称", width=14),
        Column("教师", "teacher", True, "员工姓名", width=10),
        Column("课时", "hours", False, "这节课的课时；不填为课程的每节课时", width=8),
        Column("教室", "room", False, "", width=10),
        Column("学员姓名", "student_name", True, "", width=10),
        Column("联系电话", "student_phone", False, "学员表中该学员的联系电话", width=14),
        Column("考勤", "status", True, "出勤 / 请假 / 旷课 / 补课", width=8),
        Column("试听", "is_trial", False, "是 / 否", width=6),
        Column("扣课时", "charged_hours", False, "不填则按校区的请假、旷课扣课规则", width=10),
        Column(
            "划课金额（元）",
            "amount",
            False,
            "导出时写出，导入时不读取（按课时包重新计算）",
            export_only=True,
            width=14,
        ),
        Column("备注", "note", False, "", width=16),
    ),
}

YES, NO = "是", "否"
COURSE_ACTIVE_NAMES: dict[bool, str] = {True: "在售", False: "停售"}


def headers(kind: str) -> list[str]:
    """The headers of a kind's sheet, in order."""
    return [c.header for c in COLUMNS[kind]]


def required_headers(kind: str) -> list[str]:
    """The headers a kind's sheet cannot do without."""
    return [c.header for c in COLUMNS[kind] if c.required]


README_LINES: tuple[str, ...] = (
    "达标 数据导入模板",
    "",
    "每种记录一张表：学员、家长、课程、订单、上课记录。不需要的表可以删除或留空；"
    "第一行是表头，请不要修改表头文字，列的顺序可以调整。带 * 的列必须填写。",
    "也可以把一张表另存为 .csv 文件单独导入（UTF-8 或 GB18030/GBK 编码均可），"
    "程序按表头识别是哪种记录。",
    "",
    "如何互相引用：",
    "· 学员用“学员姓名 + 联系电话”识别，联系电话是主要联系人（家长）的电话；"
    "没有家长的学员联系电话留空。",
    "· 家长用“电话”识别；家长表每个孩子写一行，学员联系电话不填时即为本行电话。",
    "· 课程用课程名称识别，员工用姓名识别。文件中出现而系统中没有的员工会新建（没有 PIN，"
    "需在“员工”页设置 PIN 后才能登录），角色按其在表中的用途确定。",
    "· 订单号只在本文件内使用：退费行在“原订单号”中写明所退的订单，该订单须在同一文件中。",
    "· 上课记录每名学员每节课一行；同一节课（日期、开始时间、课程、教师、教室相同）"
    "的结束时间和课时须一致。",
    "",
    "格式：金额以元为单位，最多两位小数，可写 1280、1,280.50 或 ¥1280；日期可写 2026-03-01、"
    "2026/3/1 或 2026年3月1日，也可以是 Excel 日期单元格；课时最多两位小数。",
    "",
    "导入前会逐行检查，列出每个问题所在的表、行和列；有任何问题时不会导入任何数据。"
    "同名且联系电话相同的学员视为重复，可逐个选择合并（沿用已有学员，补全空白资料）或跳过"
    "（该学员及其家长、订单、上课记录都不导入）。",
    "划课（课消）按课时包从早到晚、先付费后赠送自动计算，与在桌面上点名的结果相同。",
)
