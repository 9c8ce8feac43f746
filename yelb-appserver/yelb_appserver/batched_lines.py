"""Log lines written in batches by a thread of their own, not one write per request.

Every system call lets go of the interpreter lock, and in a gthread worker some of
its other threads are always waiting for it: one write(2) per request cost a
context switch and about 5 % of /api/hostname's req/s in the Kubernetes replica
(bench/README.md). A request now only appends its fields to a list; this thread
encodes and writes what has gathered every FLUSH_SECONDS.

- Lines from a worker stay in the order requests ended.
- Each write(2) carries whole lines and at most PIPE_BUF bytes, so the workers
  of a replica, sharing one stdout pipe, never mix inside a line.
- Bounded: at MAX_PENDING lines waiting (a stuck log reader), the request that
  adds one more writes them itself and so waits, as one write per request did.
- A worker that exits normally (a graceful stop) writes what is left. A killed
  worker loses at most its last FLUSH_SECONDS of lines.
"""

from __future__ import annotations

import atexit
import os
import select
import threading
from typing import Callable

FLUSH_SECONDS = 0.1
MAX_PENDING = 2048

_writers: dict[tuple, "BatchedLines"] = {}
_writers_lock = threading.Lock()


def batched_writer(descriptor: int, encode: Callable[[tuple], bytes]) -> Callable[[tuple], None]:
    """What adds a line's fields for `descriptor`: one writer thread per process, descriptor and
    encoder, however many apps the process makes (a test run makes hundreds). Keyed by process
    too: a forked child has none of its parent's threads."""
    key = (os.getpid(), descriptor, encode)
    with _writers_lock:
        writer = _writers.get(key)
        if writer is None:
            writer = _writers[key] = BatchedLines(descriptor, encode)
    return writer.add


class BatchedLines:
    def __init__(self, descriptor: int, encode: Callable[[tuple], bytes]):
        self._descriptor = descriptor
        self._encode = encode
        self._pending: list[tuple] = []
        self._flushing = threading.Lock()  # one batch at a time, so batches keep their order
        self._stopped = threading.Event()
        threading.Thread(target=self._flush_every_interval, name="yelb-log-lines", daemon=True).start()
        atexit.register(self.close)

    def add(self, fields: tuple) -> None:
        pending = self._pending
        pending.append(fields)  # atomic under the interpreter lock: no lock of our own
        if len(pending) >= MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        with self._flushing:
            count = len(self._pending)
            batch = self._pending[:count]
            del self._pending[:count]  # lines added meanwhile stay, after these
            chunk: list[bytes] = []
            size = 0
            for fields in batch:
                line = self._encode(fields)
                if chunk and size + len(line) > select.PIPE_BUF:
                    self._write(b"".join(chunk))
                    chunk, size = [], 0
                chunk.append(line)
                size += len(line)
            if chunk:
                self._write(b"".join(chunk))

    def close(self) -> None:
        self._stopped.set()
        self.flush()

    def _flush_every_interval(self) -> None:
        while not self._stopped.wait(FLUSH_SECONDS):
            self.flush()

    def _write(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self._descriptor, data):]
        except OSError:  # a closed or broken log pipe: as with the logging module, requests go on
            pass
