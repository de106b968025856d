"""Reading an import file: refuse what is not a spreadsheet, then find each sheet's kind.

The file's content decides, never its name: an .xlsx is a zip holding a workbook (a renamed
program starts with ``MZ``, an encrypted workbook or an old .xls is an OLE2 file), a .csv is
text in UTF-8 (with or without BOM, as Excel saves "CSV UTF-8") or GB18030 (what Chinese Excel
saves as plain "CSV"), or UTF-16 with tabs ("Unicode text"). Size is checked before anything
is read, so a huge file of junk is refused at once. Workbooks are streamed with openpyxl's
read-only mode.

Each sheet becomes a :class:`RawSheet`: its kind (from the sheet name, else from its headers),
the position of each known column, and its non-empty rows with their Excel row numbers.
Header problems (unknown or missing columns, a sheet of unknown kind) are reported as
:class:`Problem` rows, like cell problems.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DabiaoError
from .layout import COLUMNS, ENTITY_KINDS, KIND_OF_SHEET, README_SHEET, SHEET_NAMES, headers

MAX_FILE_BYTES = 50 * 1024 * 1024
# A workbook inflates: its XML may be many times the zip. Refuse zip bombs before parsing.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_ROWS = 200_000

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXE_MAGIC = b"MZ"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileRefused(DabiaoError):
    """The file cannot be imported (not a spreadsheet, too big, encrypted, empty, or rows with
    problems at commit time); nothing was written."""


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with the file: where (表, 行 as Excel shows it, 列) and what."""

    sheet: str
    row: int  # 0 when the problem is about the whole sheet
    column: str  # "" when the problem is about the whole row or sheet
    message: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row:
            where += f" 第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}"


@dataclass
class RawSheet:
    """One sheet of one kind: where each column is, and the rows (Excel row number, cells)."""

    kind: str
    title: str
    positions: dict[str, int]  # field → index in the row
    rows: list[tuple[int, tuple[object, ...]]] = field(default_factory=list)

    def cell(self, values: tuple[object, ...], name: str) -> object:
        """The raw value of field ``name`` in a row (None when the column is absent)."""
        index = self.positions.get(name)
        if index is None or index >= len(values):
            return None
        return values[index]


@dataclass
class RawFile:
    """What the reader found: sheets by kind, and header problems."""

    sheets: dict[str, RawSheet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        """Data rows over all sheets."""
        return sum(len(s.rows) for s in self.sheets.values())


def _size_mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def sniff(path: Path) -> str:
    """``"xlsx"`` or ``"csv"`` from the file's first bytes; raise FileRefused otherwise."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise FileRefused(f"“{path.name}”是一个文件夹，不是表格文件。")
        with path.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise FileRefused(f"文件“{path}”不存在。") from None
    except OSError as exc:
        raise FileRefused(f"无法读取“{path}”：{exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            f"“{path.name}”有 {_size_mb(size)}，超过导入上限 {_size_mb(MAX_FILE_BYTES)}；"
            "请把数据分成几个文件导入。"
        )
    if size == 0:
        raise FileRefused(f"“{path.name}”是空文件。")
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE2_MAGIC):
        raise FileRefused(
            f"“{path.name}”是加密的工作簿或旧版 .xls 文件，无法读取；"
            "请在 Excel 中取消密码并另存为 .xlsx 后再导入。"
        )
    if head.startswith(_UTF16_BOMS):
        return "csv"  # Excel's "Unicode text": tab-separated UTF-16
    if head.startswith(_EXE_MAGIC):
        raise FileRefused(f"“{path.name}”是一个程序文件，不是表格；请选择 .xlsx 或 .csv 文件。")
    if b"\x00" in head:
        raise FileRefused(f"“{path.name}”不是表格文件（.xlsx 或 .csv），无法导入。")
    return "csv"


# --------------------------------------------------------------------------- headers


def _header_text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    # People mark required columns with * (as the 说明 does) or write headers with spaces.
    return text.rstrip("*＊").replace(" ", "").replace("\u3000", "")


def _kind_by_headers(found: list[str]) -> str | None:
    """The kind whose headers match the most (all required ones present), else None."""
    best, best_score = None, 0
    present = set(found)
    for kind in ENTITY_KINDS:
        names = {c.header for c in COLUMNS[kind]}
        required = {c.header for c in COLUMNS[kind] if c.required}
        if not required <= present:
            continue
        score = len(names & present) - len(present - names)
        if best is None or score > best_score:
            best, best_score = kind, score
    return best


def _sheet_from_rows(
    title: str,
    rows: Iterator[tuple[object, ...]],
    problems: list[Problem],
    default_kind: str | None,
    check: Callable[[], None],
) -> RawSheet | None:
    """Build a RawSheet from a sheet's rows (the first non-empty row holds the headers)."""
    header_row = 0
    found: list[str] = []
    for number, values in enumerate(rows, start=1):
        if any(v is not None and str(v).strip() for v in values):
            header_row = number
            found = [_header_text(v) for v in values]
            break
    if not header_row:
        return None  # an empty sheet: nothing to import from it
    kind = KIND_OF_SHEET.get(title) or default_kind or _kind_by_headers([h for h in found if h])
    if kind is None:
        problems.append(
            Problem(
                title,
                header_row,
                "",
                "无法识别这张表：表名应为 "
                + "、".join(SHEET_NAMES[k] for k in ENTITY_KINDS)
                + " 之一，或表头与模板一致（请使用导入模板）",
            )
        )
        return None
    by_header = {c.header: c for c in COLUMNS[kind]}
    positions: dict[str, int] = {}
    ok = True
    for index, name in enumerate(found):
        if not name:
            continue
        column = by_header.get(name)
        if column is None:
            problems.append(
                Problem(
                    title,
                    header_row,
                    name,
                    f"未知的列；{SHEET_NAMES[kind]}表的列是：{'、'.join(headers(kind))}",
                )
            )
            ok = False
        elif column.field in positions:
            problems.append(Problem(title, header_row, name, "这一列出现了两次"))
            ok = False
        elif not column.export_only:
            positions[column.field] = index
    missing = [c.header for c in COLUMNS[kind] if c.required and c.field not in positions]
    if missing:
        problems.append(
            Problem(
                title,
                header_row,
                "",
                f"缺少必填的列：{'、'.join(missing)}；{SHEET_NAMES[kind]}表的列是："
                f"{'、'.join(headers(kind))}",
            )
        )
        ok = False
    sheet = RawSheet(kind=kind, title=title, positions=positions)
    for number, values in enumerate(rows, start=header_row + 1):
        if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            continue
        sheet.rows.append((number, tuple(values)))
        if len(sheet.rows) > MAX_ROWS:
            raise FileRefused(f"“{title}”超过 {MAX_ROWS:,} 行，请分成几个文件导入。")
        if len(sheet.rows) % 1000 == 0:
            check()
    return sheet if ok else None


# --------------------------------------------------------------------------- formats


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(f"“{path.name}”已损坏或不是 .xlsx 工作簿，无法读取。") from None
    if "xl/workbook.xml" not in names:
        raise FileRefused(
            f"“{path.name}”是压缩文件，但不是 Excel 工作簿（.xlsx）；"
            "请在 Excel 中另存为 .xlsx 后再导入。"
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRefused(f"“{path.name}”解压后过大（{_size_mb(unpacked)}），无法导入。")


def _read_xlsx(path: Path, check: Callable[[], None]) -> RawFile:
    import openpyxl

    _check_zip(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise FileRefused(
            f"“{path.name}”无法作为 Excel 工作簿读取（{type(exc).__name__}）。"
        ) from None
    result = RawFile()
    try:
        for worksheet in workbook.worksheets:
            title = str(worksheet.title).strip()
            if title == README_SHEET:
                continue
            rows = worksheet.iter_rows(values_only=True)
            sheet = _sheet_from_rows(title, rows, result.problems, None, check)
            if sheet is None:
                continue
            if sheet.kind in result.sheets:
                result.problems.append(
                    Problem(
                        title,
                        0,
                        "",
                        f"与“{result.sheets[sheet.kind].title}”是同一种记录，请合并成一张表",
                    )
                )
                continue
            result.sheets[sheet.kind] = sheet
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(
            f"“{path.name}”无法作为 Excel 工作簿读取（{type(exc).__name__}）。"
        ) from None
    finally:
        workbook.close()
    return result


def _decode(path: Path) -> str:
    data = path.read_bytes()  # at most MAX_FILE_BYTES (checked by sniff)
    encodings = ("utf-16",) if data.startswith(_UTF16_BOMS) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(f"“{path.name}”不是可识别的文本表格（编码应为 UTF-8 或 GB18030/GBK）。")


def _read_csv(path: Path, check: Callable[[], None]) -> RawFile:
    text = _decode(path)
    # Excel writes commas; a tab-separated export ("Unicode text") has tabs in its first line.
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    result = RawFile()
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)

    def rows() -> Iterable[tuple[object, ...]]:
        try:
            for values in reader:
                yield tuple(values)
        except csv.Error as exc:
            raise FileRefused(f"“{path.name}”第 {reader.line_num} 行无法解析：{exc}") from None

    title = path.stem or path.name
    kind_from_name = KIND_OF_SHEET.get(title)
    sheet = _sheet_from_rows(title, iter(rows()), result.problems, kind_from_name, check)
    if sheet is not None:
        result.sheets[sheet.kind] = sheet
    return result


def read_file(path: Path, check: Callable[[], None] = lambda: None) -> RawFile:
    """Read an .xlsx or .csv import file; raise FileRefused when it cannot be read at all.

    ``check`` is called now and then (a caller's cancel point).
    """
    path = Path(path)
    fmt = sniff(path)
    result = _read_xlsx(path, check) if fmt == "xlsx" else _read_csv(path, check)
    if result.row_count == 0 and not result.problems:
        raise FileRefused(f"“{path.name}”中没有可导入的数据。")
    return result
