"""Trials as background jobs: a bounded queue and one worker thread.

POST /api/v1/trials checks the spec synchronously (so errors answer 422 at once) and queues a
`TrialJob`; a single daemon thread runs the jobs one after another with `run_trial`, whose
`on_progress` callback sets the job's progress (0..1). A full queue answers 429. Finished jobs
keep their directory (summary.json, patients.parquet, report.html) until more than
`Limits.max_kept_trials` have finished; the oldest are then deleted.
"""

from __future__ import annotations

import logging
import queue
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
    finished: float | None = None

    def public(self) -> dict[str, Any]:
        """The JSON answer for this job."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "status": self.status,
                               "progress": round(self.progress, 4)}
        if self.status == "done":
            out["summary"] = self.summary
            out["files"] = {n: f"/api/v1/trials/{self.id}/files/{n}" for n in FILES}
        if self.status == "failed":
            out["error"] = self.error
            if self.detail:
                out["detail"] = self.detail
        return out


class JobManager:
    """Queue, worker thread and registry of trial jobs."""

    def __init__(self, limits: Limits, root: Path | None = None) -> None:
        self.limits = limits
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="ketasim-trials-")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[str, TrialJob] = {}
        self._queue: queue.Queue[TrialJob | None] = queue.Queue(maxsize=limits.max_queued_trials)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, spec: TrialSpec) -> TrialJob:
        """Queue a checked trial; QueueFullError when the queue has no room."""
        job_id = uuid.uuid4().hex
        job = TrialJob(job_id, spec.name, spec, self.root / job_id)
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

    def close(self) -> None:
        """Stop taking jobs; delete the job directories this manager created."""
        with self._lock:
            self._closed = True
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- worker ---------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None or self._closed:
                return
            self._run(job)
            self._evict()

    def _run(self, job: TrialJob) -> None:
        """Run one job; small chunks so the page's progress bar moves (about 10 steps)."""
        from ketasim.studies.trial.run import run_trial

        def progress(fraction: float) -> None:
            job.progress = min(max(float(fraction), job.progress), 0.999)

        job.status = "running"
        try:
            summary = run_trial(job.spec, job.dir, progress=False, on_progress=progress,
                                chunk_size=progress_chunk(job.spec.population.size))
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
        if job.status == "failed":
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
