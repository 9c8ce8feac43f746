"""Results read once and shared, so reads scale with votes rather than with readers.

Every page polls /api/getvotes, and the answer only changes when someone votes.
CachedVotes wraps a vote store so that:

- a vote goes straight to the store, and its own answer is the store's exact count;
- concurrent readers in a worker share one query (single flight) instead of each
  making a round trip;
- a worker keeps the result for at most YELB_READ_CACHE_SECONDS; on top of that a
  vote through any worker of this replica drops every worker's copy (a counter in a
  small shared file), so only votes through *other* replicas wait for the bound.

A copy is dated by when its query started, so a vote that another replica had
committed before then is always in it, and one committed later is seen by every
reader at most YELB_READ_CACHE_SECONDS after its answer.

Delays or errors added before the route or around the store still reach every
reader: readers sharing a query wait for it.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading
import time
from concurrent.futures import Future

GENERATION = struct.Struct("Q")
GENERATION_FILE = "votes-generation"


class VoteGeneration:
    """A number that changes whenever a worker of this replica has counted a vote.

    Kept in a file of the replica's shared folder (mapped into memory, so reading it
    costs no system call), or in memory for a single process without a folder.
    """

    def __init__(self, folder: str):
        self._lock = threading.Lock()
        self._file = None
        self._memory = bytearray(GENERATION.size)
        if folder:
            descriptor = os.open(os.path.join(folder, GENERATION_FILE), os.O_RDWR | os.O_CREAT, 0o600)
            self._file = os.fdopen(descriptor, "r+b")
            if os.fstat(descriptor).st_size < GENERATION.size:
                os.ftruncate(descriptor, GENERATION.size)
            self._memory = mmap.mmap(descriptor, GENERATION.size)

    def current(self) -> int:
        return GENERATION.unpack_from(self._memory)[0]

    def advance(self) -> None:
        # The thread lock orders this process's threads, flock the replica's workers.
        with self._lock:
            if self._file:
                fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                GENERATION.pack_into(self._memory, 0, (self.current() + 1) % 2**64)
            finally:
                if self._file:
                    fcntl.flock(self._file, fcntl.LOCK_UN)


class CachedVotes:
    """A vote store whose counts() are shared between readers; see the module's docstring."""

    def __init__(self, store, max_age: float, generation: VoteGeneration):
        self._store = store
        self._max_age = max_age
        self._generation = generation
        self._lock = threading.Lock()
        self._copy: tuple[dict[str, int], float, int] | None = None  # counts, read at, generation
        self._flight: Future | None = None
        self.dependency = store.dependency

    def vote(self, name: str, key: str | None = None) -> int:
        try:
            return self._store.vote(name, key)
        finally:
            # Also after a failure: the vote may have been committed before the error.
            self._generation.advance()

    def counts(self) -> dict[str, int]:
        with self._lock:
            copy = self._copy
            if copy and time.monotonic() - copy[1] < self._max_age and copy[2] == self._generation.current():
                return dict(copy[0])
            flight, leading = self._flight, self._flight is None
            if leading:
                flight = self._flight = Future()
        if leading:
            self._lead(flight)
        return dict(flight.result())

    def _lead(self, flight: Future) -> None:
        generation, started = self._generation.current(), time.monotonic()
        try:
            counts = self._store.counts()
        except BaseException as failure:
            with self._lock:
                self._flight = None
            flight.set_exception(failure)
            return
        with self._lock:
            self._flight = None
            self._copy = (counts, started, generation)
        flight.set_result(counts)

    def ping(self) -> None:
        self._store.ping()

    def start_pruning(self) -> None:
        self._store.start_pruning()


def cache_counts(store, max_age: float, folder: str):
    """The store itself when max_age is 0, else its counts() shared as described above."""
    return CachedVotes(store, max_age, VoteGeneration(folder)) if max_age else store
