"""The ``dabiao`` command line, in-process through ``main()`` and as a real process."""

from __future__ import annotations

import re
import sqlite3
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from desktop import cli
from shared.db import head_revision
from tests.storage_support import (
    BAD_FILES,
    campus_ids,
    concurrent_writer,
    fingerprint,
    held_open_by_other_process,
    integrity,
    locked_by_other_process,
    make_bad_file,
    make_campus_db,
    make_crashed_wal_db,
    read_only,
    run_cli,
    run_python,
    set_old_mtime,
    sidecars,
)


@pytest.fixture
def good_db(tmp_path: Path) -> Path:
    """A cleanly closed database with 300 campuses."""
    path = tmp_path / "good.dabiao"
    make_campus_db(path, rows=300)
    return path


def assert_one_line_error(stderr: str) -> None:
    """A refusal is exactly one line ``错误：…`` and never a traceback."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("错误：")


# --------------------------------------------------------------------------- no subcommand


def test_no_subcommand_opens_the_desktop_window_on_the_given_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import desktop.app

    calls: list[tuple[Path | None, bool, str, int, bool]] = []

    def fake(path, *, demo=False, host="0.0.0.0", port=8765, mdns=True) -> int:
        calls.append((path, demo, host, port, mdns))
        return 0

    monkeypatch.setattr(desktop.app, "run_desktop", fake)
    db = tmp_path / "campus.dabiao"
    assert cli.main([]) == 0
    assert cli.main(["--db", str(db)]) == 0
    assert cli.main(["--demo"]) == 0
    assert cli.main(["--db", str(db), "--host", "127.0.0.1", "--port", "0", "--no-mdns"]) == 0
    assert calls == [
        (None, False, "0.0.0.0", 8765, True),
        (db, False, "0.0.0.0", 8765, True),
        (None, True, "0.0.0.0", 8765, True),
        (db, False, "127.0.0.1", 0, False),
    ]
    assert list(tmp_path.iterdir()) == []


def test_importing_the_cli_loads_no_qt() -> None:
    result = run_python(
        "import sys, desktop.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6', 'shiboken6'}))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for argv in (
        ["check"],
        ["frobnicate"],
        ["demo", "--scale", "huge"],
        ["demo", "--today", "2026-02-30"],
        ["backup", "--db", str(tmp_path / "x")],
    ):
        with pytest.raises(SystemExit) as caught:
            cli.main(argv)
        assert caught.value.code == 2, argv
    assert "Traceback" not in capsys.readouterr().err


def test_a_bug_is_not_swallowed(monkeypatch: pytest.MonkeyPatch, good_db: Path) -> None:
    import shared.db

    def broken(path: Path) -> None:
        raise RuntimeError("a bug in check_database")

    monkeypatch.setattr(shared.db, "check_database", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["check", "--db", str(good_db)])


# --------------------------------------------------------------------------- check


def test_check_reports_version_integrity_and_aligned_row_counts(
    capsys: pytest.CaptureFixture[str], good_db: Path
) -> None:
    assert cli.main(["check", "--db", str(good_db)]) == 0
    out = capsys.readouterr().out
    assert f"结构版本：{head_revision()}（与本程序一致）" in out
    assert "完整性：正常" in out
    assert "外键问题：0 处" in out
    count_lines = [line for line in out.splitlines() if re.fullmatch(r"  \w+ +\d+", line)]
    counts = {line.split()[0]: int(line.split()[1]) for line in count_lines}
    assert counts["campuses"] == 300 and counts["alembic_version"] == 1
    assert len({len(line) for line in count_lines}) == 1  # numbers right-aligned in one column


def test_check_runs_as_a_real_process(good_db: Path) -> None:
    result = run_cli("check", "--db", str(good_db))
    assert result.returncode == 0, result.stderr
    assert "结论：正常" in result.stdout
    assert result.stderr == ""


def test_check_fails_on_foreign_key_problems(
    capsys: pytest.CaptureFixture[str], good_db: Path
) -> None:
    conn = sqlite3.connect(good_db)  # foreign keys are off in a plain connection
    conn.execute(
        "INSERT INTO staff (id, campus_id, name, phone, roles, pin_hash, active, version,"
        " is_deleted, created_at, updated_at) VALUES (randomblob(16), randomblob(16), '孤儿',"
        " '', '[]', '', 1, 0, 0, '2026-01-01', '2026-01-01')"
    )
    conn.commit()
    conn.close()
    assert cli.main(["check", "--db", str(good_db)]) == 1
    out = capsys.readouterr().out
    assert "外键问题：1 处" in out and "结论：有问题" in out


def test_check_of_an_empty_file_reports_no_schema(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.dabiao"
    empty.touch()
    assert cli.main(["check", "--db", str(empty)]) == 1
    assert "结构版本：无（空文件）" in capsys.readouterr().out


def test_check_refuses_a_newer_schema_and_leaves_it_untouched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_db: Path
) -> None:
    newer = make_bad_file("newer", tmp_path, good_db)
    before = fingerprint(newer)
    assert cli.main(["check", "--db", str(newer)]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "9999_future" in err and "升级" in err
    assert fingerprint(newer) == before
    assert sidecars(newer) == []


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("command", ["check", "backup"])
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_gets_one_line_error_and_is_left_untouched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_db: Path, kind: str, command: str
) -> None:
    bad = make_bad_file(kind, tmp_path, good_db)
    before = fingerprint(bad)
    extra = ["--to", str(tmp_path / "backup.dabiao")] if command == "backup" else []
    assert cli.main([command, "--db", str(bad), *extra]) == 1
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert str(bad) in captured.err
    assert fingerprint(bad) == before
    assert not (tmp_path / "backup.dabiao").exists()


@pytest.mark.parametrize("kind", ["png", "truncated", "corrupt_page", "newer"])
def test_bad_file_gets_one_line_error_from_a_real_process(
    tmp_path: Path, good_db: Path, kind: str
) -> None:
    bad = make_bad_file(kind, tmp_path, good_db)
    before = fingerprint(bad)
    result = run_cli("check", "--db", str(bad))
    assert result.returncode == 1
    assert_one_line_error(result.stderr)
    assert fingerprint(bad) == before


def test_locked_file_gets_one_line_error_and_is_left_untouched(
    good_db: Path, tmp_path: Path
) -> None:
    set_old_mtime(good_db)
    before = fingerprint(good_db)
    with locked_by_other_process(good_db):
        checked = run_cli("check", "--db", str(good_db))
        backed_up = run_cli("backup", "--db", str(good_db), "--to", str(tmp_path / "b.dabiao"))
    for result in (checked, backed_up):
        assert result.returncode == 1
        assert_one_line_error(result.stderr)
        assert "锁定" in result.stderr
    assert fingerprint(good_db) == before
    assert not (tmp_path / "b.dabiao").exists()


@pytest.mark.parametrize("command", ["check", "backup", "demo"])
def test_directory_as_db_gets_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    folder = tmp_path / "folder.dabiao"
    folder.mkdir()
    extra = ["--to", str(tmp_path / "backup.dabiao")] if command == "backup" else []
    assert cli.main([command, "--db", str(folder), *extra]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "文件夹" in err
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", ["check", "backup"])
def test_missing_file_gets_one_line_error_and_is_not_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "missing.dabiao"
    extra = ["--to", str(tmp_path / "backup.dabiao")] if command == "backup" else []
    assert cli.main([command, "--db", str(missing), *extra]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "不存在" in err
    assert list(tmp_path.iterdir()) == []


def test_backup_into_read_only_folder_gets_one_line_error(tmp_path: Path, good_db: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder):
        result = run_cli(
            "backup", "--db", str(good_db), "--to", str(folder / "b.dabiao"), drop_root=True
        )
    assert result.returncode == 1, result
    assert_one_line_error(result.stderr)
    assert "只读" in result.stderr
    assert list(folder.iterdir()) == []


def test_demo_into_read_only_folder_gets_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder):
        result = run_cli("demo", "--db", str(folder / "demo.dabiao"), drop_root=True)
    assert result.returncode == 1, result
    assert_one_line_error(result.stderr)
    assert "只读" in result.stderr
    assert list(folder.iterdir()) == []


def test_check_of_a_read_only_file_still_works(tmp_path: Path, good_db: Path) -> None:
    with read_only(good_db, tmp_path):
        result = run_cli("check", "--db", str(good_db), drop_root=True)
    assert result.returncode == 0, result.stderr
    assert "结论：正常" in result.stdout


def test_check_fails_on_damage_only_the_full_integrity_check_sees(
    capsys: pytest.CaptureFixture[str], good_db: Path
) -> None:
    # An index that disagrees with its table: the quick check at opening does not compare
    # index contents, so the file is opened; the full integrity check of `check` finds it.
    conn = sqlite3.connect(good_db)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, '(version)', '(is_deleted)') "
        "WHERE name = 'ix_campuses_version'"
    )
    conn.commit()
    conn.close()
    set_old_mtime(good_db)
    before = fingerprint(good_db)
    assert cli.main(["check", "--db", str(good_db)]) == 1
    out = capsys.readouterr().out
    assert "完整性：发现问题" in out and "ix_campuses_version" in out
    assert "结论：有问题" in out
    assert fingerprint(good_db) == before


@pytest.mark.parametrize("command", ["check", "backup"])
def test_file_left_in_wal_mode_in_a_read_only_folder_gets_one_line_error(
    tmp_path: Path, command: str
) -> None:
    # Reading a WAL file needs its -shm beside it, which a read-only folder cannot take.
    folder = tmp_path / "ro"
    folder.mkdir()
    crashed = folder / "crashed.dabiao"
    make_crashed_wal_db(crashed)
    set_old_mtime(crashed)
    before = fingerprint(crashed)
    extra = ["--to", str(tmp_path / "b.dabiao")] if command == "backup" else []
    with read_only(folder):
        result = run_cli(command, "--db", str(crashed), *extra, drop_root=True)
    assert result.returncode == 1, result
    assert_one_line_error(result.stderr)
    assert str(crashed) in result.stderr
    assert fingerprint(crashed) == before
    assert sorted(p.name for p in folder.iterdir()) == ["crashed.dabiao", "crashed.dabiao-wal"]
    assert not (tmp_path / "b.dabiao").exists()


# --------------------------------------------------------------------------- backup


def test_backup_writes_a_complete_copy_and_says_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_db: Path
) -> None:
    dest = tmp_path / "备份" / "2026-11-27.dabiao"
    dest.parent.mkdir()
    assert cli.main(["backup", "--db", str(good_db), "--to", str(dest)]) == 0
    out = capsys.readouterr().out
    assert str(dest) in out and "KB" in out
    assert campus_ids(dest) == campus_ids(good_db)
    assert integrity(dest) == ["ok"]


@pytest.mark.parametrize("where", ["missing folder", "folder"])
def test_backup_to_a_missing_folder_or_to_a_folder_gets_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_db: Path, where: str
) -> None:
    set_old_mtime(good_db)
    before = fingerprint(good_db)
    target = tmp_path / "没有这个文件夹" / "b.dabiao" if where == "missing folder" else tmp_path
    assert cli.main(["backup", "--db", str(good_db), "--to", str(target)]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert ("不存在" if where == "missing folder" else "文件夹") in err
    assert fingerprint(good_db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.dabiao"]


def test_backup_does_not_overwrite_an_existing_file_unless_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_db: Path
) -> None:
    dest = tmp_path / "important.dabiao"
    dest.write_text("someone's file", encoding="utf-8")
    assert cli.main(["backup", "--db", str(good_db), "--to", str(dest)]) == 1
    assert_one_line_error(capsys.readouterr().err)
    assert dest.read_text(encoding="utf-8") == "someone's file"
    assert cli.main(["backup", "--db", str(good_db), "--to", str(dest), "--overwrite"]) == 0
    assert campus_ids(dest) == campus_ids(good_db)


def test_backup_refuses_to_write_over_its_own_source(
    capsys: pytest.CaptureFixture[str], good_db: Path
) -> None:
    before = fingerprint(good_db)
    assert cli.main(["backup", "--db", str(good_db), "--to", str(good_db), "--overwrite"]) == 1
    assert_one_line_error(capsys.readouterr().err)
    assert fingerprint(good_db) == before


@pytest.mark.timeout(60)  # the writer itself gives up after 30 s
def test_backup_command_while_another_process_writes_keeps_every_committed_row(
    tmp_path: Path, good_db: Path
) -> None:
    with concurrent_writer(good_db, tmp_path) as writer:
        writer.wait_for(20)
        for n in range(2):
            committed = writer.committed_ids()
            dest = tmp_path / f"cli-backup-{n}.dabiao"
            result = run_cli("backup", "--db", str(good_db), "--to", str(dest))
            assert result.returncode == 0, result.stderr
            assert integrity(dest) == ["ok"]
            assert committed <= campus_ids(dest)
        writer.stop()


# --------------------------------------------------------------------------- demo


def test_demo_refuses_an_existing_file_without_replace(
    capsys: pytest.CaptureFixture[str], good_db: Path
) -> None:
    set_old_mtime(good_db)
    before = fingerprint(good_db)
    assert cli.main(["demo", "--db", str(good_db)]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "--replace" in err
    assert fingerprint(good_db) == before


def test_demo_replace_refuses_to_delete_a_file_that_is_not_a_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_db: Path
) -> None:
    document = make_bad_file("text", tmp_path, good_db)
    before = fingerprint(document)
    assert cli.main(["demo", "--db", str(document), "--replace"]) == 1
    assert_one_line_error(capsys.readouterr().err)
    assert fingerprint(document) == before


def test_demo_in_a_missing_folder_gets_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "没有这个文件夹" / "demo.dabiao"
    assert cli.main(["demo", "--db", str(target)]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "不存在" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("holder", ["locked", "open in WAL mode"])
def test_demo_replace_refuses_a_file_another_program_has_open(
    tmp_path: Path, good_db: Path, holder: str
) -> None:
    hold = locked_by_other_process if holder == "locked" else held_open_by_other_process
    with hold(good_db):
        before = fingerprint(good_db)
        result = run_cli("demo", "--db", str(good_db), "--replace", "--today", "2026-11-27")
        after = fingerprint(good_db)
    assert result.returncode == 1, result
    assert_one_line_error(result.stderr)
    assert "正被其他程序使用" in result.stderr and str(good_db) in result.stderr
    assert after == before
    # The other program's work is still there: nothing was deleted or rebuilt underneath it.
    assert len(campus_ids(good_db)) == 300 + (holder != "locked")


def test_demo_replace_refuses_a_file_of_a_newer_dabiao(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_db: Path
) -> None:
    newer = make_bad_file("newer", tmp_path, good_db)
    before = fingerprint(newer)
    assert cli.main(["demo", "--db", str(newer), "--replace"]) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "9999_future" in err and "更新版本" in err
    assert fingerprint(newer) == before


def test_demo_replace_may_replace_a_damaged_or_crashed_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, good_db: Path
) -> None:
    # Rebuilding is what a broken old demo is for: damage and a leftover WAL do not block it.
    built: list[Path] = []

    def spy_build_demo(target: Path, **options: object) -> SimpleNamespace:
        assert not target.exists() and sidecars(target) == []
        target.write_bytes(b"new")
        built.append(target)
        return SimpleNamespace(logins=[], counts={}, seconds=0.1)

    monkeypatch.setitem(sys.modules, "shared.demo", SimpleNamespace(build_demo=spy_build_demo))
    damaged = [make_bad_file(kind, tmp_path, good_db) for kind in ("truncated", "corrupt")]
    crashed = tmp_path / "crashed.dabiao"
    make_crashed_wal_db(crashed)
    for path in [*damaged, crashed]:
        assert cli.main(["demo", "--db", str(path), "--replace"]) == 0, path
    assert built == [*damaged, crashed]


def test_demo_defaults_to_the_user_data_folder(tmp_path: Path) -> None:
    # platformdirs follows XDG_DATA_HOME on Linux; an existing demo there is refused.
    existing = tmp_path / "Dabiao" / "demo.dabiao"
    existing.parent.mkdir()
    existing.write_bytes(b"SQLite format 3\x00" + bytes(84))
    result = run_cli("demo", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 1
    assert_one_line_error(result.stderr)
    assert str(existing) in result.stderr


def test_demo_builds_a_small_campus_and_prints_the_logins(tmp_path: Path) -> None:
    path = tmp_path / "demo.dabiao"
    result = run_cli("demo", "--db", str(path), "--seed", "3", "--today", "2026-11-27")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip()  # progress went to stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert re.search(r"校区 +姓名 +角色 +PIN", out)
    assert "校长" in out and re.search(r"\b\d{4,8}\b", out)
    assert "用时" in out and str(path) in out
    assert sidecars(path) == []
    assert run_cli("check", "--db", str(path)).returncode == 0


def test_demo_replace_removes_the_old_file_and_sidecars_before_building(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "demo.dabiao"
    make_campus_db(path, rows=5)
    stale = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    for sidecar in stale:
        sidecar.write_bytes(b"stale")  # left behind by a crashed run
    calls = []

    def spy_build_demo(target: Path, **options: object) -> SimpleNamespace:
        # The builder must start from nothing: no old file, no old WAL to replay.
        calls.append((target, options, target.exists(), [s.exists() for s in stale]))
        options["progress"]("正在生成演示数据")  # type: ignore[operator]
        target.write_bytes(b"new")
        return SimpleNamespace(logins=[], counts={}, seconds=0.5)

    monkeypatch.setitem(sys.modules, "shared.demo", SimpleNamespace(build_demo=spy_build_demo))
    argv = [
        "demo",
        "--db",
        str(path),
        "--replace",
        "--scale",
        "large",
        "--seed",
        "7",
        "--today",
        "2026-03-15",
    ]
    assert cli.main(argv) == 0
    [(target, options, existed, sidecars_existed)] = calls
    assert target == path and not existed and sidecars_existed == [False, False]
    assert options["scale"] == "large" and options["seed"] == 7
    assert options["today"] == date(2026, 3, 15)
    captured = capsys.readouterr()
    assert "正在生成演示数据" in captured.err and "正在生成演示数据" not in captured.out


def test_large_demo_lists_only_the_first_campus(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "demo.dabiao"
    path.write_bytes(bytes(3 * 1024 * 1024))
    logins = [
        SimpleNamespace(campus=f"{campus}校区", name=f"员工{n}", roles=roles, pin=f"{n:06d}")
        for campus in ("东城", "西城", "南山")
        for n, roles in enumerate([["manager"], ["front_desk"], ["consultant", "teacher"]])
    ]
    logins.append(logins.pop(1))  # a campus's logins need not be listed together
    result = SimpleNamespace(logins=logins, counts={}, seconds=12.34)
    cli.print_demo_result(path, result, first_campus_only=True)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert out.count("东城校区") == 3 and "西城校区" not in out and "南山校区" not in out
    assert "课程顾问、教师" in out
    assert "另有 2 个校区的 6 个登录账号未列出" in out
    assert "用时 12.3 秒" in out and "3.0 MB" in out

    cli.print_demo_result(path, result)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert all(out.count(f"{campus}校区") == 3 for campus in ("东城", "西城", "南山"))
