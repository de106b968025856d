"""Writing rendered files: whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

from shared.errors import StorageUnavailable


def write_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through ``PATH.partial`` and a rename; StorageUnavailable on
    failure (nothing is left behind)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        if path.is_dir():
            raise StorageUnavailable(f"“{path}”是一个文件夹，请给出文件名")
        with partial.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageUnavailable(f"无法写入“{path}”：{exc.strerror or exc}") from None
    return path
