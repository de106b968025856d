"""Automatic dated backups while the window is open, and once more when it closes.

The settings (on or off, folder, how many daily/weekly/monthly backups to keep) belong to this
PC and this file (:class:`~desktop.config.AutoBackup`); the rule itself — one backup a day,
then thinning — is :func:`shared.backups.run_auto_backup`. A timer checks every
:data:`CHECK_INTERVAL_MS` and runs it through ``ctx.ops.run`` (off the GUI thread); the last
outcome is kept for the 设置 page to show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from shared.backups import AutoBackupResult, KeepPolicy, local_now, run_auto_backup
from shared.errors import DabiaoError

from .config import AutoBackup, DesktopConfig
from .context import AppContext

log = logging.getLogger(__name__)

CHECK_INTERVAL_MS = 30 * 60 * 1000  # a day's backup need not be punctual to the minute
FIRST_CHECK_MS = 60 * 1000  # not during start-up, when the dashboard is being drawn


@dataclass(frozen=True)
class BackupOutcome:
    """The last automatic backup attempt: when, what it wrote, or why it failed."""

    at: str
    result: AutoBackupResult | None
    error: str | None


class AutoBackupScheduler(QObject):
    """Runs :func:`run_auto_backup` for the open file on a timer and at close."""

    outcome_changed = Signal()

    def __init__(self, ctx: AppContext, config: DesktopConfig, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.config = config
        self.last: BackupOutcome | None = None
        self._running = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.run_now)
        self._timer.start(CHECK_INTERVAL_MS)
        QTimer.singleShot(FIRST_CHECK_MS, self.run_now)

    @property
    def settings(self) -> AutoBackup:
        """The automatic backup settings of the open file."""
        return self.config.auto_backup_for(self.ctx.path)

    def save_settings(self, settings: AutoBackup) -> None:
        """Remember new settings (already validated) and back up now if due."""
        KeepPolicy(settings.keep_daily, settings.keep_weekly, settings.keep_monthly)
        self.config.set_auto_backup(self.ctx.path, settings)
        self.run_now()

    def run_now(self) -> None:
        """Back up in the background if enabled and today's backup is missing."""
        settings = self.settings
        if not settings.enabled or self._running or self.ctx.ops.held:
            return
        self._running = True
        path, folder = self.ctx.path, settings.folder
        policy = KeepPolicy(settings.keep_daily, settings.keep_weekly, settings.keep_monthly)
        self.ctx.ops.run(
            lambda: run_auto_backup(path, folder, policy),
            self._done,
            on_error=self._failed,
            label="自动备份",
        )

    def run_at_close(self, parent: QWidget | None = None) -> None:  # noqa: ARG002
        """Back up synchronously as the window closes (the file is still open)."""
        settings = self.settings
        if not settings.enabled:
            return
        policy = KeepPolicy(settings.keep_daily, settings.keep_weekly, settings.keep_monthly)
        try:
            run_auto_backup(self.ctx.path, settings.folder, policy)
        except DabiaoError as exc:
            # Closing must not be held up by a missing USB disk; the 设置 page shows failures
            # while the window is open.
            log.warning("automatic backup at close failed: %s", exc.message)

    def _done(self, result: AutoBackupResult) -> None:
        self._running = False
        self.last = BackupOutcome(local_now().strftime("%Y-%m-%d %H:%M"), result, None)
        self.outcome_changed.emit()

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        message = exc.message if isinstance(exc, DabiaoError) else str(exc)
        self.last = BackupOutcome(local_now().strftime("%Y-%m-%d %H:%M"), None, message)
        self.outcome_changed.emit()
