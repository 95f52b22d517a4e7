"""Writing on a thread of its own: the next chunk of a population run is explained while the last one is written.

A block is given as its parts (an explained line is about 100 of them) and written to a plain file's descriptor with
``os.writev``, which gathers them in the kernel, without the interpreter lock: on a machine with two cores, copying
about 24 kB per explained case (``population_run``) runs beside the explaining instead of after it, and no block is
joined first. Any other sink (a compressing or in-memory stream, or a system without ``writev``) gets the joined
block from its own ``write``. At most ``WAITING`` blocks wait, besides the one being written and the one being
made: memory stays bounded, and explaining waits when the disk is slower.
"""

from __future__ import annotations

import io
import os
from queue import Queue
from threading import Thread
from types import TracebackType
from typing import IO

WAITING = 2
_LIMIT = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") and "SC_IOV_MAX" in os.sysconf_names else 0
IOV_MAX = _LIMIT if _LIMIT > 0 else 16  # parts to a call; POSIX promises 16, Linux takes 1024 (-1: no limit given)


class WriteBehind:
    """``write`` hands a block (its parts) to the writing thread; leaving the ``with`` writes what waits and stops
    it. When the run stopped with an error and ``discarded``, its output is thrown away (a file not finished), and
    what waits is dropped instead. A write that fails (a full disk, a closed pipe) is raised again by the next
    ``write`` or on leaving."""

    def __init__(self, sink: IO[bytes], *, discarded: bool):
        self.sink = sink
        self.fd = _descriptor(sink)
        self.blocks: Queue[list[bytes] | None] = Queue(maxsize=WAITING)
        self.failed: BaseException | None = None
        self.discarded = discarded
        self.dropping = False
        self.thread = Thread(target=self._drain, name="write-behind", daemon=True)

    def __enter__(self) -> WriteBehind:
        if self.fd is not None:
            self.sink.flush()  # the descriptor is written directly from here on
        self.thread.start()
        return self

    def write(self, block: list[bytes]) -> None:
        if self.failed is not None:
            raise self.failed
        self.blocks.put(block)

    def _drain(self) -> None:
        while (block := self.blocks.get()) is not None:
            if self.failed is None and not self.dropping:  # else taken and dropped: ``write`` never waits forever
                try:
                    if self.fd is None:
                        self.sink.write(b"".join(block))
                    else:
                        _write_parts(self.fd, block)
                except BaseException as exc:  # handed to the run's own thread, which raises it
                    self.failed = exc

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.dropping = kind is not None and self.discarded
        self.blocks.put(None)
        self.thread.join()
        if kind is None and self.failed is not None:
            raise self.failed


def _descriptor(sink: IO[bytes]) -> int | None:
    """The descriptor of a plain file (or standard output) whose bytes go there as written; None for any other
    sink (a wrapper such as gzip has the descriptor of the file under it, which must not be written past it)."""
    raw = sink.raw if isinstance(sink, io.BufferedWriter) else sink
    return raw.fileno() if isinstance(raw, io.FileIO) and hasattr(os, "writev") else None


def _write_parts(fd: int, parts: list[bytes]) -> None:
    """Every part, in order, to ``fd``, ``IOV_MAX`` parts to a call (a pipe may take fewer bytes than it is given: the
    rest is written by the next call)."""
    pending: list[bytes | memoryview] = list(parts)
    at = 0
    while at < len(pending):
        batch = pending[at: at + IOV_MAX]
        written = os.writev(fd, batch)
        if written == sum(map(len, batch)):
            at += len(batch)
            continue
        for part in batch:  # on from the first byte not written
            if written < len(part):
                pending[at] = memoryview(part)[written:]
                break
            written -= len(part)
            at += 1
