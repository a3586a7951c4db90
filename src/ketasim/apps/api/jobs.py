"""Trials as background jobs: a bounded queue and one worker thread.

POST /api/v1/trials checks the spec synchronously (so errors answer 422 at once) and queues a
`TrialJob`; a single daemon thread runs the jobs one after another with `run_trial`, whose
`on_progress` callback sets the job's progress (0..1). A full queue answers 429. Finished jobs
keep their directory (summary.json, patients.parquet, report.html) until more than
`Limits.max_kept_trials` have finished; the oldest are then deleted.

`cancel` stops a queued job at once and a running one after its current chunk (DELETE
/api/v1/trials/{id}); a running job past `Limits.max_job_wall_s` is stopped the same way.
Job files live in DIR/ketasim-trials-PID-*/ (the temporary directory by default): `close` (the
server's shutdown, or the end of the process) deletes them, and a server that starts deletes
what a killed one left behind (folders whose PID no longer runs).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketasim.apps.api.errors import loc_of
from ketasim.apps.api.limits import Limits
from ketasim.model.errors import UserError
from ketasim.runtime.spec import TrialSpec

log = logging.getLogger("ketasim.apps.api")
FILES = ("summary.json", "patients.parquet", "report.html")
_ROOT = re.compile(r"^ketasim-trials-(\d+)-\w+$")
_JOB_DIR = re.compile(r"^[0-9a-f]{32}$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_orphans(parent: Path) -> list[Path]:
    """Delete job folders (PARENT/ketasim-trials-PID-*) of servers that no longer run; return them."""
    gone = []
    for d in parent.glob("ketasim-trials-*"):
        m = _ROOT.match(d.name)
        if m and d.is_dir() and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    return gone


class QueueFullError(Exception):
    """No room for another trial."""


@dataclass
class TrialJob:
    """One trial's state as GET /api/v1/trials/{id} reports it."""

    id: str
    name: str
    spec: TrialSpec = field(repr=False)
    dir: Path
    status: str = "queued"
    progress: float = 0.0
    summary: dict[str, Any] | None = None
    error: str | None = None
    detail: list[dict[str, Any]] | None = None
    created: float = field(default_factory=time.time)
    #: a shipped posterior's name and its draws (the trial then runs once per draw and gains pi95)
    posterior: str | None = None
    draws: int = 0
    finished: float | None = None
    stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def public(self) -> dict[str, Any]:
        """The JSON answer for this job."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "status": self.status,
                               "progress": round(self.progress, 4)}
        if self.status == "done":
            out["summary"] = self.summary
            out["files"] = {n: f"/api/v1/trials/{self.id}/files/{n}" for n in FILES}
        if self.status in ("failed", "cancelled"):
            out["error"] = self.error
            if self.detail:
                out["detail"] = self.detail
        return out


class JobManager:
    """Queue, worker thread and registry of trial jobs."""

    def __init__(self, limits: Limits, root: Path | None = None) -> None:
        self.limits = limits
        self._own_root = root is None
        if root is None:
            clean_orphans(Path(tempfile.gettempdir()))
            self.root = Path(tempfile.mkdtemp(prefix=f"ketasim-trials-{os.getpid()}-"))
        else:
            self.root = Path(root)
            self.root.mkdir(parents=True, exist_ok=True)
            for stale in self.root.iterdir():  # job folders of a server killed before its shutdown
                if _JOB_DIR.match(stale.name) and stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
        self._jobs: dict[str, TrialJob] = {}
        self._queue: queue.Queue[TrialJob | None] = queue.Queue(maxsize=limits.max_queued_trials)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        atexit.register(self.close)

    def submit(self, spec: TrialSpec, posterior: str | None = None, draws: int = 0) -> TrialJob:
        """Queue a checked trial (over `draws` draws of a shipped `posterior`); QueueFullError when full."""
        job_id = uuid.uuid4().hex
        job = TrialJob(job_id, spec.name, spec, self.root / job_id, posterior=posterior, draws=draws)
        with self._lock:
            if self._closed:
                raise QueueFullError("the server is shutting down")
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                raise QueueFullError(f"{self.limits.max_queued_trials} trials are already waiting") from None
            self._jobs[job_id] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="ketasim-trials", daemon=True)
                self._thread.start()
        return job

    def get(self, job_id: str) -> TrialJob | None:
        """The job with this id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float) -> TrialJob | None:
        """Block until the job has finished or `timeout` s passed (tests, scripts)."""
        stop = time.monotonic() + timeout
        while time.monotonic() < stop:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def cancel(self, job_id: str) -> TrialJob | None:
        """Cancel a queued job (at once) or a running one (after its current chunk); forget a finished one.

        Returns the job (None if unknown). A finished job is removed with its files.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.status == "queued":
                job.status, job.error, job.finished = "cancelled", "cancelled before it started", time.time()
            elif job.status == "running":
                job.stop.set()
            else:
                del self._jobs[job_id]
                shutil.rmtree(job.dir, ignore_errors=True)
        return job

    def close(self) -> None:
        """Stop taking jobs, stop the running one, and delete the job directories."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for job in self._jobs.values():
                job.stop.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            for job in list(self._jobs.values()):
                shutil.rmtree(job.dir, ignore_errors=True)
        atexit.unregister(self.close)

    # -- worker ---------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None or self._closed:
                return
            if job.status == "cancelled":
                continue
            self._run(job)
            self._evict()

    def _run(self, job: TrialJob) -> None:
        """Run one job; small chunks so the page's progress bar moves (about 10 steps)."""
        from ketasim.studies.trial.run import TrialCancelledError, run_trial

        def progress(fraction: float) -> None:
            job.progress = min(max(float(fraction), job.progress), 0.999)

        deadline = time.monotonic() + self.limits.max_job_wall_s

        def should_stop() -> bool:
            return job.stop.is_set() or time.monotonic() > deadline

        with self._lock:
            if job.status != "queued":
                return
            job.status = "running"
        try:
            summary = run_trial(job.spec, job.dir, on_progress=progress, should_stop=should_stop,
                                chunk_size=progress_chunk(job.spec.population.size), notify=log.info,
                                posterior=job.posterior, posterior_draws=max(job.draws, 1))
        except TrialCancelledError:
            if job.stop.is_set():
                job.status, job.error = "cancelled", "cancelled while running"
            else:
                job.status = "failed"
                job.error = f"stopped after the time budget of {self.limits.max_job_wall_s:g} s"
        except UserError as exc:
            job.error = str(exc)
            job.detail = [{"loc": loc_of(exc.field), "msg": exc.message, "type": "value_error"}]
            job.status = "failed"
        except Exception as exc:  # an internal failure of this job: report it, keep serving
            log.exception("trial %s failed", job.id)
            job.error = f"internal error: {type(exc).__name__}: {exc}"
            job.status = "failed"
        else:
            job.summary = summary
            job.spec = None  # type: ignore[assignment]  # free the spec; the summary has what it says
            job.progress = 1.0
            job.status = "done"
        if job.status in ("failed", "cancelled"):
            shutil.rmtree(job.dir, ignore_errors=True)
        job.finished = time.time()

    def _evict(self) -> None:
        with self._lock:
            done = sorted((j for j in self._jobs.values() if j.finished is not None), key=lambda j: j.finished or 0)
            for job in done[: max(len(done) - self.limits.max_kept_trials, 0)]:
                del self._jobs[job.id]
                shutil.rmtree(job.dir, ignore_errors=True)


def progress_chunk(patients: int) -> int:
    """Chunk size for a web trial: about ten progress steps, at least 8 patients per batch."""
    return max(8, -(-patients // 10))
