"""Importing a school's records: every row checked, problems by 表/行/列, all or nothing."""

from __future__ import annotations

import os
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.db import Database
from shared.errors import Conflict, Invalid
from shared.models import (
    Attendance,
    ConsumptionEntry,
    Course,
    Order,
    Parent,
    Role,
    SignType,
    Staff,
    Student,
    StudentParent,
    StudentStatus,
)
from shared.services.campus import add_staff
from shared.services.students import register_student
from shared.transfer import (
    MERGE,
    SKIP,
    FileRefused,
    commit_import,
    plan_import,
    write_template,
)
from shared.transfer.layout import headers
from tests.shared.factories import TEST_PIN, TEST_PIN_HASH
from tests.shared.transfer_support import empty_campus, small_school, table_counts, write_book


@pytest.fixture
def campus(db: Database) -> str:
    return empty_campus(db)


def _import(db: Database, path: Path, decisions: dict[int, str] | None = None):
    plan = plan_import(db, path)
    assert plan.problems == []
    return plan, commit_import(db, plan, decisions)


def _problems(db: Database, path: Path) -> list[tuple[str, int, str]]:
    return [(p.sheet, p.row, p.column) for p in plan_import(db, path).problems]


# --------------------------------------------------------------------------- a good file


def test_a_workbook_of_every_kind_imports_with_exact_money_and_consumption(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = write_book(tmp_path / "school.xlsx", small_school())
    plan, result = _import(db, path)
    assert [s.name for s in plan.new_staff] == ["李顾问", "赵老师"]
    with db.reader() as s:
        staff = {x.name: x for x in s.scalars(select(Staff))}
        assert staff["李顾问"].roles == [Role.CONSULTANT.value]
        assert staff["赵老师"].roles == [Role.TEACHER.value]
        assert staff["赵老师"].pin_hash == ""  # no PIN until a manager sets one
        courses = {c.name: c for c in s.scalars(select(Course))}
        assert courses["书法"].price_per_hour_fen == 12050
        assert courses["书法"].hours_per_lesson == Decimal("1.50")
        kid = s.scalar(select(Student).where(Student.name == "张小明"))
        assert kid.status is StudentStatus.ENROLLED and kid.consultant_id == staff["李顾问"].id
        assert kid.birth_on.isoformat() == "2017-05-01" and kid.first_contact_on.day == 1
        links = {
            p.name: link
            for link, p in s.execute(
                select(StudentParent, Parent).join(Parent, Parent.id == StudentParent.parent_id)
            )
        }
        assert links["王芳"].is_primary and links["王芳"].relation == "母亲"
        assert not links["张强"].is_primary
        assert s.scalar(select(Parent.phone).where(Parent.name == "王芳")) == "13812345678"
        orders = {o.sign_type: o for o in s.scalars(select(Order))}
        assert orders[SignType.NEW].amount_fen == 300_000
        assert orders[SignType.NEW].gift_hours == Decimal(2)
        assert orders[SignType.REFUND].amount_fen == -30_000
        assert orders[SignType.REFUND].refund_of_id == orders[SignType.NEW].id
        # Two one-hour lessons (the absence charged by the campus default) at 150 元 an hour.
        assert s.scalar(select(func.sum(ConsumptionEntry.amount_fen))) == 30_000
        assert s.scalar(select(func.count()).select_from(Attendance)) == 2
    assert result.counts["lessons"] == 2 and result.counts["students"] == 2


def test_the_template_has_a_sheet_per_kind_and_imports_as_nothing_to_do(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = write_template(tmp_path / "模板.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["说明", "学员", "家长", "课程", "订单", "上课记录"]
    assert next(book["订单"].iter_rows(values_only=True)) == tuple(headers("orders"))
    with pytest.raises(FileRefused, match="没有可导入的数据"):
        plan_import(db, path)


@pytest.mark.parametrize(
    ("encoding", "separator"), [("utf-8-sig", ","), ("gb18030", ","), ("utf-16", "\t")]
)
def test_a_csv_is_recognised_by_its_headers_in_each_excel_encoding(
    db: Database, campus: str, tmp_path: Path, encoding: str, separator: str
) -> None:
    path = tmp_path / "export.csv"
    rows = [
        headers("courses"),
        ["钢琴", "音乐", "150", "1", "在售"],
        ["声乐", "", "1,280.50", "2", "停售"],
    ]
    lines = [separator.join(f'"{v}"' if "," in v else v for v in row) for row in rows]
    path.write_bytes("\r\n".join(lines).encode(encoding))
    _import(db, path)
    with db.reader() as s:
        prices = dict(s.execute(select(Course.name, Course.price_per_hour_fen)).all())
    assert prices == {"钢琴": 15000, "声乐": 128050}


# --------------------------------------------------------------------------- problems


def test_bad_cells_are_listed_by_sheet_row_and_column_and_nothing_is_written(
    db: Database, campus: str, tmp_path: Path
) -> None:
    sheets = small_school()
    sheets["订单"][1][5] = "2025-02-30"  # no such day
    sheets["订单"][1][8] = "三千元"  # text in an amount column
    sheets["订单"][2][8] = "300.505"  # below the fen
    sheets["学员"][1][1] = "1381234"  # not a phone number
    sheets["上课记录"][2][1] = "下午四点"
    path = write_book(tmp_path / "bad.xlsx", sheets)
    before = table_counts(db.path)
    plan = plan_import(db, path)
    found = {(p.sheet, p.row, p.column): p.message for p in plan.problems}
    assert "日期不存在" in found[("订单", 2, "签单日期")]
    assert "不是有效的金额" in found[("订单", 2, "金额（元）")]
    assert "两位小数" in found[("订单", 3, "金额（元）")]
    assert "电话号码格式不正确" in found[("学员", 2, "联系电话")]
    assert "不是有效的时间" in found[("上课记录", 3, "开始时间")]
    with pytest.raises(FileRefused, match="未导入任何数据"):
        commit_import(db, plan)
    assert table_counts(db.path) == before


def test_wrong_and_missing_headers_are_refused_naming_the_expected_ones(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = write_book(
        tmp_path / "headers.xlsx",
        {
            "订单": [
                ["订单号", "学员", "课程", "日期", "金额（元）"],
                ["D1", "张三", "钢琴", "2025-01-01", 100],
            ]
        },
    )
    problems = plan_import(db, path).problems
    unknown = [p for p in problems if p.column == "学员"]
    assert unknown and "签单日期" in unknown[0].message
    missing = [p for p in problems if "缺少必填的列" in p.message]
    assert missing and "学员姓名" in missing[0].message and "签单类型" in missing[0].message
    assert {p.row for p in problems} == {1}  # rows wait until the headers are right


def test_a_sheet_of_unknown_kind_is_a_problem(db: Database, campus: str, tmp_path: Path) -> None:
    path = write_book(tmp_path / "x.xlsx", {"Sheet1": [["姓名", "年龄"], ["张三", 7]]})
    [problem] = plan_import(db, path).problems
    assert problem.sheet == "Sheet1" and "无法识别" in problem.message


def test_duplicate_keys_in_the_file_are_problems(db: Database, campus: str, tmp_path: Path) -> None:
    sheets = small_school()
    sheets["订单"].append(list(sheets["订单"][1]))  # D1 again
    sheets["课程"].append(["钢琴", "", 160, 1, ""])
    sheets["上课记录"].append(list(sheets["上课记录"][1]))
    path = write_book(tmp_path / "dups.xlsx", sheets)
    found = {(p.sheet, p.row, p.column): p.message for p in plan_import(db, path).problems}
    assert "重复" in found[("订单", 4, "订单号")]
    assert "重复" in found[("课程", 4, "课程名称")]
    assert "重复" in found[("上课记录", 4, "学员姓名")]


def test_references_to_missing_records_and_bad_refunds_are_problems(
    db: Database, campus: str, tmp_path: Path
) -> None:
    sheets = small_school()
    sheets["订单"][1][3] = "围棋"  # no such course
    sheets["订单"][2][6] = 30  # refunds more hours than D1 sold
    sheets["上课记录"][1][7] = "王小二"  # no such student
    sheets["学员"][1][1] = "13700000000"  # nobody in the parents sheet has this phone
    path = write_book(tmp_path / "refs.xlsx", sheets)
    found = {(p.sheet, p.row, p.column): p.message for p in plan_import(db, path).problems}
    assert "课程“围棋”不存在" in found[("订单", 2, "课程")]
    assert "原订单" in found[("订单", 3, "原订单号")]  # D1 was refused, so D2 cannot find it
    assert "学员王小二" in found[("上课记录", 2, "学员姓名")]
    assert "13700000000" in found[("学员", 2, "联系电话")]


def test_a_staff_member_used_in_a_role_they_lack_is_a_problem(
    db: Database, campus: str, tmp_path: Path
) -> None:
    with db.unit_of_work() as s:
        add_staff(
            s,
            campus_id=campus,
            name="赵老师",
            roles=["consultant"],
            pin=TEST_PIN,
            pin_hash=TEST_PIN_HASH,
        )
    path = write_book(tmp_path / "roles.xlsx", small_school())
    found = {(p.sheet, p.row, p.column): p.message for p in plan_import(db, path).problems}
    assert "赵老师 不是教师" in found[("订单", 2, "意向教师")]


def test_a_huge_file_of_junk_is_refused_from_its_size_alone(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = tmp_path / "junk.xlsx"
    with path.open("wb") as fh:
        fh.write(os.urandom(4096))
        fh.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    with pytest.raises(FileRefused, match="超过导入上限 50.0 MB"):
        plan_import(db, path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500, "程序文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "加密"),
        (b"", "空文件"),
        (b"\x00\x01\x02junk" * 100, "不是表格文件"),
    ],
    ids=["renamed-exe", "encrypted-or-xls", "empty", "binary-junk"],
)
def test_files_that_are_not_spreadsheets_are_refused(
    db: Database, campus: str, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "学员.xlsx"
    path.write_bytes(content)
    before = table_counts(db.path)
    with pytest.raises(FileRefused, match=message):
        plan_import(db, path)
    assert table_counts(db.path) == before


def test_a_zip_that_is_not_a_workbook_is_refused(db: Database, campus: str, tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff")
    with pytest.raises(FileRefused, match="不是 Excel 工作簿"):
        plan_import(db, path)


def test_text_that_is_neither_utf8_nor_gb18030_is_refused(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"\x81\x30\xff\xfe" * 50)  # invalid in both encodings
    with pytest.raises(FileRefused, match="编码"):
        plan_import(db, path)


def test_a_workbook_whose_sheets_are_all_empty_is_refused(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = write_book(tmp_path / "empty.xlsx", {"学员": [], "Sheet2": []})
    with pytest.raises(FileRefused, match="没有可导入的数据"):
        plan_import(db, path)


# --------------------------------------------------------------------------- all or nothing


def test_a_failure_in_the_middle_of_the_commit_leaves_the_file_unchanged(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = write_book(tmp_path / "school.xlsx", small_school())
    plan = plan_import(db, path)
    before = table_counts(db.path)
    calls = []

    def fail_after_some_rows(done: int, total: int) -> None:
        calls.append(done)
        if done >= 5:  # staff, courses and students are written by now
            raise RuntimeError("disk pulled out")

    with pytest.raises(RuntimeError, match="disk pulled out"):
        commit_import(db, plan, progress=fail_after_some_rows)
    assert max(calls) >= 5
    assert table_counts(db.path) == before
    commit_import(db, plan)  # the same plan still imports whole afterwards
    assert table_counts(db.path)["students"] == 2


def test_a_plan_checked_before_someone_else_added_the_same_student_is_refused(
    db: Database, campus: str, tmp_path: Path
) -> None:
    path = write_book(tmp_path / "school.xlsx", small_school())
    plan = plan_import(db, path)
    assert plan.duplicates == []
    with db.unit_of_work() as s:
        register_student(
            s, campus_id=campus, name="张小明", parent_name="王芳", parent_phone="13812345678"
        )
    before = table_counts(db.path)
    with pytest.raises(Conflict, match="重新检查"):
        commit_import(db, plan)
    assert table_counts(db.path) == before


# --------------------------------------------------------------------------- duplicates


def _existing_child(db: Database, campus: str) -> str:
    with db.unit_of_work() as s:
        return register_student(
            s,
            campus_id=campus,
            name="张小明",
            parent_name="王芳",
            parent_phone="13812345678",
            relation="母亲",
        ).id


def test_a_student_already_in_the_file_is_offered_and_skipped_with_all_his_rows(
    db: Database, campus: str, tmp_path: Path
) -> None:
    existing = _existing_child(db, campus)
    plan = plan_import(db, write_book(tmp_path / "school.xlsx", small_school()))
    [dup] = plan.duplicates
    assert (dup.sheet, dup.row, dup.existing_student_id) == ("学员", 2, existing)
    assert "王芳" in dup.existing
    result = commit_import(db, plan, {dup.row: SKIP})
    assert (result.skipped_students, result.skipped_rows) == (1, 6)  # 2 links, 2 orders, 2 marks
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == 2  # 张小明 once, 李小红
        assert s.scalar(select(func.count()).select_from(Order)) == 0
        assert s.scalar(select(Student.school).where(Student.id == existing)) == ""


def test_merging_a_duplicate_fills_empty_fields_and_adds_history_once(
    db: Database, campus: str, tmp_path: Path
) -> None:
    existing = _existing_child(db, campus)
    path = write_book(tmp_path / "school.xlsx", small_school())
    plan = plan_import(db, path)
    result = commit_import(db, plan, {plan.duplicates[0].row: MERGE})
    assert result.merged_students == 1
    with db.reader() as s:
        kid = s.get(Student, existing)
        assert (kid.school, kid.gender, kid.birth_on.year) == ("实验小学", "男", 2017)
        parents = s.scalars(
            select(Parent.name)
            .join(StudentParent, StudentParent.parent_id == Parent.id)
            .where(StudentParent.student_id == existing)
        ).all()
        assert sorted(parents) == ["张强", "王芳"]
        assert s.scalar(select(func.count()).select_from(Parent)) == 2  # 王芳 reused
        assert s.scalar(select(func.sum(ConsumptionEntry.amount_fen))) == 30_000
    # Merging the same file again adds no second copy of the orders and attendance.
    plan = plan_import(db, path)
    again = commit_import(db, plan, {plan.duplicates[0].row: MERGE})
    assert again.already_present == 4
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 2
        assert s.scalar(select(func.sum(ConsumptionEntry.amount_fen))) == 30_000


def test_the_same_student_twice_in_the_file_is_a_duplicate_to_merge_or_skip(
    db: Database, campus: str, tmp_path: Path
) -> None:
    sheets = small_school()
    again = list(sheets["学员"][1])
    again[4], again[5] = "", "三年级"  # 年级 differs; the first row's 学校 stays
    sheets["学员"].append(again)
    plan = plan_import(db, write_book(tmp_path / "twice.xlsx", sheets))
    [dup] = plan.duplicates
    assert (dup.row, dup.first_row, dup.existing_student_id) == (4, 2, None)
    commit_import(db, plan, {4: MERGE})
    with db.reader() as s:
        assert s.scalars(select(Student.grade).where(Student.name == "张小明")).all() == ["二年级"]


def test_an_unknown_decision_is_refused(db: Database, campus: str, tmp_path: Path) -> None:
    _existing_child(db, campus)
    plan = plan_import(db, write_book(tmp_path / "school.xlsx", small_school()))
    with pytest.raises(Invalid, match="合并或跳过"):
        commit_import(db, plan, {plan.duplicates[0].row: "overwrite"})


def test_orders_follow_the_order_services_rules_on_hours_and_money(
    db: Database, campus: str, tmp_path: Path
) -> None:
    sheets = small_school()
    sheets["订单"][1][6:9] = [0, 2, "100"]  # gifted hours only, yet money paid
    sheets["订单"][2][4] = "续费"  # a package naming an order to refund
    path = write_book(tmp_path / "orders.xlsx", sheets)
    found = {(p.sheet, p.row, p.column): p.message for p in plan_import(db, path).problems}
    assert found[("订单", 2, "金额（元）")] == "没有付费课时的订单金额必须为零"
    assert "只有退费行" in found[("订单", 3, "原订单号")]


def test_a_blank_status_becomes_enrolled_when_the_file_signs_an_order(
    db: Database, campus: str, tmp_path: Path
) -> None:
    sheets = small_school()
    sheets["学员"][1][6] = ""  # 张小明 has orders in the file
    sheets["学员"][2][6] = ""  # 李小红 has none
    commit_import(db, plan_import(db, write_book(tmp_path / "status.xlsx", sheets)))
    with db.reader() as s:
        statuses = dict(s.execute(select(Student.name, Student.status)).all())
    assert statuses == {"张小明": StudentStatus.ENROLLED, "李小红": StudentStatus.LEAD}
