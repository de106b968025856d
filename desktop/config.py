"""This PC's own preferences, in a small JSON file under ``user_config_dir("Dabiao")``.

What belongs to the machine rather than to the campus file lives here: the last database
opened, and per database file the automatic backup settings (a folder on this disk means
nothing to a phone or another PC, so it is not stored in the synced database).

The file is rewritten whole (to a temporary name, then renamed), and a missing or unreadable
file simply means defaults: preferences are never worth refusing to start over.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)

CONFIG_NAME = "desktop.json"


def config_dir() -> Path:
    """Where this PC's Dabiao preferences live."""
    return Path(platformdirs.user_config_dir("Dabiao", appauthor=False))


def data_dir() -> Path:
    """Where new campus files and the demo go by default."""
    return Path(platformdirs.user_data_dir("Dabiao", appauthor=False))


@dataclass
class AutoBackup:
    """Automatic dated backups of one database file (thinned, see shared.services.settings)."""

    enabled: bool = False
    folder: str = ""
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12


@dataclass
class DesktopConfig:
    """The desktop's preferences (see the module docstring)."""

    last_database: str | None = None
    auto_backups: dict[str, AutoBackup] = field(default_factory=dict)
    path: Path = field(default_factory=lambda: config_dir() / CONFIG_NAME, repr=False)

    @classmethod
    def load(cls, path: Path | None = None) -> DesktopConfig:
        """Read the preferences; defaults when the file is missing or unreadable."""
        path = path or config_dir() / CONFIG_NAME
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path=path)
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable preferences %s: %s", path, exc)
            return cls(path=path)
        backups: dict[str, AutoBackup] = {}
        for key, value in (raw.get("auto_backups") or {}).items():
            if isinstance(value, dict):
                known = {k: v for k, v in value.items() if k in AutoBackup.__dataclass_fields__}
                try:
                    backups[key] = AutoBackup(**known)
                except TypeError:
                    continue
        last = raw.get("last_database")
        return cls(
            last_database=last if isinstance(last, str) else None,
            auto_backups=backups,
            path=path,
        )

    def save(self) -> None:
        """Write the preferences; a failure is logged, never fatal."""
        data = {
            "last_database": self.last_database,
            "auto_backups": {k: asdict(v) for k, v in self.auto_backups.items()},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("could not save preferences to %s: %s", self.path, exc)

    def auto_backup_for(self, db_path: Path) -> AutoBackup:
        """The automatic backup settings of a database file (defaults when never set)."""
        return self.auto_backups.get(_key(db_path), AutoBackup())

    def set_auto_backup(self, db_path: Path, settings: AutoBackup) -> None:
        """Remember the automatic backup settings of a database file and save."""
        self.auto_backups[_key(db_path)] = settings
        self.save()

    def remember_database(self, db_path: Path) -> None:
        """Remember the file to open next time and save."""
        self.last_database = _key(db_path)
        self.save()


def _key(db_path: Path) -> str:
    return str(Path(db_path).expanduser().resolve())
