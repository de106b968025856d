"""Operations: every piece of database or long work a page asks for, run off the GUI thread.

Anki's pattern: a slot never queries or writes the database itself; it hands a small function
to :class:`Operations`, which runs it on a worker thread of its own :class:`QThreadPool` and
calls back **on the GUI thread** with the result:

* :meth:`Operations.read` runs ``fn(session)`` inside ``db.reader()`` (a read snapshot);
* :meth:`Operations.write` runs ``fn(session)`` inside ``db.unit_of_work()`` (one short write
  transaction) and, once committed, emits :attr:`Operations.committed` (the
  :class:`~desktop.context.AppContext` turns that into its debounced ``data_changed``);
* :meth:`Operations.run` runs ``fn()`` with no session, for backups, demo builds and other long
  work. Inside any job, :func:`current_job` returns the running :class:`Job`, through which
  the function reports progress (delivered on the GUI thread) and sees a cancel request.

Results and exceptions cross back through a signal with a queued connection, so callbacks are
always delivered on the GUI thread, in the order jobs finish. Errors follow qutebrowser's
split: a :class:`~shared.errors.DabiaoError` is the environment's or the user's matter and
becomes a message in Chinese; anything else is our bug, logged with its traceback and shown
loudly as 程序错误 (see :mod:`desktop.errors`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEventLoop,
    QObject,
    QRunnable,
    Qt,
    QThread,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QApplication, QWidget

from shared.errors import DabiaoError

from .errors import show_error

if TYPE_CHECKING:  # names only: the window may appear before SQLAlchemy is imported
    from sqlalchemy.orm import Session

    from shared.db import Database

log = logging.getLogger(__name__)

T = TypeVar("T")

# Enough for a refresh of the visible page, a background backup and a phone-triggered refresh
# at once; SQLite serialises writers anyway (BEGIN IMMEDIATE + busy timeout).
MAX_WORKERS = 4


class Cancelled(Exception):
    """Raised inside a job's function when it noticed :attr:`Job.cancelled` and stopped."""


_local = threading.local()


def current_job() -> Job:
    """The job whose function is running on this worker thread (for progress and cancel)."""
    job: Job | None = getattr(_local, "job", None)
    if job is None:
        raise RuntimeError("current_job() called outside an Operations job")
    return job


@dataclass(eq=False)
class Job:
    """One submitted operation: what to run and where its outcome goes."""

    id: int
    kind: str  # "read", "write" or "run"
    label: str
    fn: Callable[..., Any]
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None] | None
    on_progress: Callable[[int, str], None] | None
    on_cancelled: Callable[[], None] | None
    _cancel: threading.Event = field(default_factory=threading.Event)
    _ops: Operations | None = None

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called; long functions check it between steps."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop; it is honoured only where the function checks (safe points)."""
        self._cancel.set()

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` when cancellation was requested."""
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, percent: int, text: str = "") -> None:
        """Report progress from the worker; delivered to ``on_progress`` on the GUI thread."""
        if self._ops is not None:
            self._ops._progressed.emit(self.id, int(percent), text)


class _Runner(QRunnable):
    """Runs one job's function on a pool thread and reports back through a signal."""

    def __init__(self, ops: Operations, job: Job, call: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._ops = ops
        self._job = job
        self._call = call

    def run(self) -> None:  # noqa: D102 - QRunnable's entry point, on a worker thread
        _local.job = self._job
        try:
            result = self._call()
        except BaseException as exc:  # delivered to the GUI thread, never lost here
            self._ops._finished.emit(self._job.id, False, exc)
        else:
            self._ops._finished.emit(self._job.id, True, result)
        finally:
            _local.job = None


class Operations(QObject):
    """Runs DB reads, DB writes and long jobs on worker threads; calls back on the GUI thread.

    ``pending_changed(count, labels)`` tells the status bar what is running; ``job_finished``
    fires after each job's callback ran and ``idle`` once nothing is pending (tests wait on
    either, or call :meth:`wait_idle`).
    """

    committed = Signal()  # a write committed; AppContext turns it into data_changed
    job_finished = Signal(str)  # the label of the job whose callback just ran
    idle = Signal()
    pending_changed = Signal(int, list)

    # Worker → GUI: (job id, succeeded, result or exception) and (job id, percent, text).
    _finished = Signal(int, bool, object)
    _progressed = Signal(int, int, str)

    def __init__(self, db: Database | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # None before any file is open (the first-run dialog runs only ``run`` jobs).
        self.db = db
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(MAX_WORKERS)
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._held: list[_Runner] | None = None
        # The widget error dialogs are parented to; the main window sets itself here.
        self.dialog_parent: QWidget | None = None
        # Queued: the slot runs in this object's (the GUI) thread whatever thread emits.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._progressed.connect(self._deliver_progress, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ submitting

    def read(
        self,
        fn: Callable[[Session], T],
        on_done: Callable[[T], None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
        label: str | None = None,
    ) -> Job:
        """Run ``fn(session)`` in a read snapshot on a worker; ``on_done(result)`` on the GUI.

        ``on_error`` (optional) receives a :class:`~shared.errors.DabiaoError` instead of the
        default message box; any other exception is a bug and is always shown as one.
        """

        def call() -> T:
            # self.db is read when the job runs: a job held during a restore uses the new file.
            assert self.db is not None, "no database is open"
            with self.db.reader() as session:
                return fn(session)

        return self._submit("read", label or "读取数据", fn, call, on_done, on_error, None, None)

    def write(
        self,
        fn: Callable[[Session], T],
        on_done: Callable[[T], None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
        label: str | None = None,
    ) -> Job:
        """Run ``fn(session)`` in one write transaction; on commit, ``on_done`` then ``committed``.

        Return plain values (ids, dataclasses) rather than ORM rows you mean to touch later:
        the session is closed by the time ``on_done`` runs.
        """

        def call() -> T:
            assert self.db is not None, "no database is open"
            with self.db.unit_of_work() as session:
                return fn(session)

        return self._submit("write", label or "保存", fn, call, on_done, on_error, None, None)

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
        label: str | None = None,
        progress: Callable[[int, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> Job:
        """Run ``fn()`` (no session) on a worker, for backups, demo builds and other long work.

        Inside ``fn``, ``current_job().report(percent, text)`` reaches ``progress`` on the GUI
        thread and ``current_job().check_cancelled()`` stops at a safe point after
        :meth:`Job.cancel`; a cancelled job calls ``on_cancelled`` (if given) and nothing else.
        """
        return self._submit(
            "run", label or "处理中", fn, fn, on_done, on_error, progress, on_cancelled
        )

    def _submit(
        self,
        kind: str,
        label: str,
        fn: Callable[..., Any],
        call: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None,
        on_progress: Callable[[int, str], None] | None,
        on_cancelled: Callable[[], None] | None,
    ) -> Job:
        job = Job(
            id=next(self._ids),
            kind=kind,
            label=label,
            fn=fn,
            on_done=on_done,
            on_error=on_error,
            on_progress=on_progress,
            on_cancelled=on_cancelled,
            _ops=self,
        )
        self._jobs[job.id] = job
        self._announce()
        runner = _Runner(self, job, call)
        if self._held is not None and kind != "run":
            self._held.append(runner)  # started by release(), against the new file
        else:
            self.pool.start(runner)
        return job

    def hold(self) -> None:
        """Stop starting database jobs (a restore is about to swap the file); see release()."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        """Start the database jobs submitted while held, against the (new) ``db``."""
        held, self._held = self._held or [], None
        for runner in held:
            self.pool.start(runner)

    @property
    def held(self) -> bool:
        """Whether database jobs are being held back."""
        return self._held is not None

    # ------------------------------------------------------------------ state

    @property
    def pending(self) -> int:
        """How many jobs are submitted and not yet called back."""
        return len(self._jobs)

    def pending_labels(self) -> list[str]:
        """The labels of the pending jobs, oldest first."""
        return [job.label for job in self._jobs.values()]

    def wait_idle(self, timeout_ms: int = 10_000) -> bool:
        """Process events until every started job has called back; False on timeout.

        Jobs held back by :meth:`hold` do not count (they start only after ``release``). For
        tests and for shutdown and restore, which must not pull the file from under a running
        job; a page never calls it.
        """
        clock = QElapsedTimer()
        clock.start()
        while self._started_jobs() and clock.elapsed() < timeout_ms:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if self._started_jobs():
                QThread.msleep(2)
        return not self._started_jobs()

    def _started_jobs(self) -> int:
        return len(self._jobs) - len(self._held or ())

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel what can be cancelled and wait for the workers (before closing the file)."""
        for job in self._jobs.values():
            job.cancel()
        self.pool.waitForDone(timeout_ms)
        # Deliver what finished meanwhile so no callback fires after the window closed.
        QApplication.processEvents()

    # ------------------------------------------------------------------ delivery (GUI)

    @Slot(int, int, str)
    def _deliver_progress(self, job_id: int, percent: int, text: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None and job.on_progress is not None:
            job.on_progress(percent, text)

    @Slot(int, bool, object)
    def _deliver(self, job_id: int, ok: bool, outcome: object) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None:  # pragma: no cover - a job is delivered exactly once
            return
        try:
            if ok:
                job.on_done(outcome)
                if job.kind == "write":
                    self.committed.emit()
            elif isinstance(outcome, Cancelled):
                if job.on_cancelled is not None:
                    job.on_cancelled()
            else:
                assert isinstance(outcome, BaseException)
                if job.kind == "write" and not isinstance(outcome, Exception):
                    raise outcome  # KeyboardInterrupt and friends are not ours to swallow
                self._fail(job, outcome)
        finally:
            self.job_finished.emit(job.label)
            self._announce()
            if not self._jobs:
                self.idle.emit()

    def _fail(self, job: Job, exc: BaseException) -> None:
        # Only the environment's and the user's errors may be handled by the caller; a bug is
        # always reported loudly, whatever on_error the page passed.
        if job.on_error is not None and isinstance(exc, DabiaoError):
            job.on_error(exc)
            return
        parent = self.dialog_parent or QApplication.activeWindow()
        show_error(parent, exc, action=job.label)

    def _announce(self) -> None:
        self.pending_changed.emit(len(self._jobs), self.pending_labels())
