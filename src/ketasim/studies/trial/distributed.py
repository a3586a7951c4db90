"""A trial's chunks on Dask: a local cluster (`--workers N`) or an existing one (`--scheduler ADDRESS`).

What travels to a worker is plain data, never a Model: the TrialSpec (frozen dataclasses of
numbers and strings), the replicate seed, the block of (patient id, arm, doses), the grid and
the measure names. The worker rebuilds the model with the cached build_model (once per worker
process) and checks that it is the coordinator's model (ketasim version and parameter hash),
so sympy objects and generated code are never pickled. It simulates the block through the same
`simulate_patients` seam as a local run and returns the chunk as Parquet bytes.

The coordinator writes each chunk as its result arrives (as_completed), under its chunk index
with an atomic rename, so finished chunks survive an interruption and `--resume` picks up. A
worker that dies mid-task loses nothing: the scheduler reruns the task on another worker, and
the rerun gives the same bytes (each patient is drawn from (seed, patient id)), so a chunk is
never lost or written twice. At most WINDOW_PER_THREAD tasks per worker thread are in flight, so
results never pile up in memory, on the workers or here.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import numpy as np

from ketasim import __version__
from ketasim.model.errors import UserError
from ketasim.runtime.spec import TrialSpec
from ketasim.studies.trial.assemble import chunk_bytes
from ketasim.studies.trial.chunks import parameters_sha256, simulate_chunk, trial_model

if TYPE_CHECKING:
    from distributed import Client

#: seconds to wait for the scheduler to answer, and for a first worker to join it
CONNECT_TIMEOUT_S = 15.0
WORKER_TIMEOUT_S = 120.0
#: tasks in flight per worker thread (enough to keep workers busy while results are written)
WINDOW_PER_THREAD = 2

#: (replicate, chunk index, replicate seed, block of (patient id, arm, doses))
Job = tuple[int, int, int, list[tuple[int, str, tuple]]]


class WorkerMismatchError(RuntimeError):
    """A worker built a different model than the coordinator (other ketasim version or code)."""


_HASHES: dict[int, str] = {}


def simulate_chunk_task(spec: TrialSpec, seed: int, block: list[tuple[int, str, tuple]], grid: np.ndarray,
                        measures: list[str], expect: tuple[str, str]) -> bytes:
    """Worker side: rebuild the trial's model (cached), check it, simulate one block; Parquet bytes.

    `expect` is the coordinator's (ketasim version, parameters sha256).
    """
    model = trial_model(spec)
    digest = _HASHES.get(id(model))
    if digest is None:
        digest = _HASHES[id(model)] = parameters_sha256(model)
    if (__version__, digest) != tuple(expect):
        raise WorkerMismatchError(f"a Dask worker runs ketasim {__version__} with parameters {digest[:12]}, the "
                             f"coordinator ketasim {expect[0]} with parameters {expect[1][:12]}; install the same "
                             "ketasim on the workers")
    return chunk_bytes(simulate_chunk(model, spec, seed, block, grid, measures))


@contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Client]:
    """A Client of the cluster at `scheduler` once a worker has joined, or of a new local cluster.

    The local cluster listens on 127.0.0.1 only (random ports; the scheduler's HTTP endpoint too,
    without the dashboard), runs one thread per worker process (the simulation is single-threaded
    NumPy/SciPy), and is shut down on exit.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise UserError("scheduler", f"cannot reach a Dask scheduler at {scheduler!r} ({exc}); start one "
                                           "with `dask scheduler` and give its address (tcp://HOST:PORT), or use "
                                           "`workers` N for a local cluster") from None
        try:
            try:
                client.wait_for_workers(1, timeout=WORKER_TIMEOUT_S)
            except TimeoutError:
                raise UserError("scheduler", f"no Dask worker joined the scheduler at {scheduler} within "
                                               f"{WORKER_TIMEOUT_S:g} s; start workers with `dask worker ADDRESS`"
                                ) from None
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                           silence_logs=logging.ERROR)
    try:
        client = Client(cluster, set_as_default=False)
        try:
            client.wait_for_workers(workers or 1, timeout=WORKER_TIMEOUT_S)
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def run_chunks(client: Client, spec: TrialSpec, jobs: Sequence[Job], grid: np.ndarray, measures: list[str],
               parameters_hash: str, store: Callable[[int, int, bytes], None]) -> None:
    """Simulate `jobs` on Dask, calling store(replicate, chunk index, Parquet bytes) as each finishes.

    Jobs are submitted in index order, a bounded window at a time. Errors in a task (other than a
    worker dying, which Dask retries elsewhere) stop the run; chunks already stored are kept.
    """
    if not jobs:
        return
    from distributed import as_completed

    expect = (__version__, parameters_hash)
    threads = sum(client.nthreads().values()) or 1
    window = max(2, WINDOW_PER_THREAD * threads)
    token = uuid4().hex[:8]
    queue = iter(jobs)
    running: dict[str, tuple[int, int, Any]] = {}  # key -> (replicate, chunk index, future)

    def submit(job: Job) -> Any:
        r, k, seed, block = job
        key = f"ketasim-chunk-r{r:03d}-{k:05d}-{token}"
        fut = client.submit(simulate_chunk_task, spec, seed, block, grid, measures, expect, key=key, pure=False)
        running[key] = (r, k, fut)
        return fut

    done = as_completed([submit(job) for job in itertools.islice(queue, window)], loop=client.loop)
    try:
        for fut in done:
            r, k, _ = running.pop(fut.key)
            try:
                data = fut.result()
            except WorkerMismatchError as exc:
                raise UserError("scheduler", str(exc)) from None
            except ImportError as exc:
                raise UserError("scheduler", f"a Dask worker cannot import ketasim ({exc}); install ketasim "
                                               "in the workers' Python environment") from None
            fut.release()
            store(r, k, data)
            nxt = next(queue, None)
            if nxt is not None:
                done.add(submit(nxt))
    finally:  # on an error or Ctrl-C: stop what is still queued or running
        for _, _, fut in running.values():
            fut.cancel()
        done.clear()
