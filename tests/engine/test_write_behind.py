"""Writing a population run's blocks on a thread of its own (``matcher.engine.write_behind``)."""

from __future__ import annotations

import errno
import gzip
import io
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine import write_behind
from matcher.engine.write_behind import WriteBehind

PARTS = st.lists(st.binary(max_size=300), max_size=60)


def test_blocks_of_parts_reach_the_file_in_order(tmp_path: Path) -> None:
    """More parts in a block than one ``writev`` call takes, empty parts among them, and more blocks than wait."""
    blocks = [[f"{b}:{p};".encode() if p % 7 else b"" for p in range(write_behind.IOV_MAX * 2 + 5)]
              for b in range(write_behind.WAITING * 3)]
    path = tmp_path / "out.jsonl"
    with path.open("wb") as sink, WriteBehind(sink, discarded=True) as behind:
        assert behind.fd == sink.fileno()
        for block in blocks:
            behind.write(list(block))
    assert path.read_bytes() == b"".join(b"".join(block) for block in blocks)


def test_a_sink_without_a_file_descriptor_gets_each_block_joined() -> None:
    sink = io.BytesIO()
    with WriteBehind(sink, discarded=True) as behind:
        assert behind.fd is None
        behind.write([b"a", b"", b"bc"])
        behind.write([b"\n"])
    assert sink.getvalue() == b"abc\n"


def test_a_compressing_sink_is_written_through_its_own_write(tmp_path: Path) -> None:
    """gzip's file answers ``fileno`` with the descriptor of the file under it: writing there would skip it."""
    path = tmp_path / "out.jsonl.gz"
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as sink, \
            WriteBehind(sink, discarded=True) as behind:
        assert behind.fd is None
        behind.write([b"one", b"\n"])
        behind.write([b"two\n"])
    assert gzip.decompress(path.read_bytes()) == b"one\ntwo\n"


@settings(max_examples=200, deadline=None)
@given(parts=PARTS, takes=st.lists(st.integers(0, 500), min_size=1, max_size=20))
def test_a_write_that_takes_fewer_bytes_goes_on_from_the_first_byte_not_written(tmp_path_factory, parts: list[bytes],
                                                                                  takes: list[int]) -> None:
    """A pipe or a signal can make ``writev`` take fewer bytes than it was given (here: as many as ``takes`` says, in
    turn; a call that takes nothing is followed by one that takes a byte at least, as on a real descriptor)."""
    path = tmp_path_factory.mktemp("parts") / "out"
    calls = iter(range(10**6))
    real = os.writev

    def partial(fd: int, buffers: list[bytes]) -> int:
        data = b"".join(buffers)
        n = next(calls)
        take = takes[n % len(takes)] or (1 if n % 2 else 0)
        return real(fd, [data[:take]]) if data else 0

    with pytest.MonkeyPatch.context() as patch, path.open("wb") as sink:
        patch.setattr(os, "writev", partial)
        write_behind._write_parts(sink.fileno(), list(parts))
    assert path.read_bytes() == b"".join(parts)


class _Full(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_is_raised_by_the_next_write_or_on_leaving() -> None:
    """Nothing waits forever: the thread takes what comes after a failure and drops it."""
    with pytest.raises(OSError, match="No space left"), WriteBehind(_Full(), discarded=True) as behind:
        for _ in range(write_behind.WAITING * 4):
            behind.write([b"x" * 10])
    behind = WriteBehind(_Full(), discarded=True)
    with pytest.raises(OSError, match="No space left"), behind:
        behind.write([b"x"])
    assert not behind.thread.is_alive()


def test_an_error_of_the_run_itself_is_not_hidden_by_the_writer() -> None:
    behind = WriteBehind(_Full(), discarded=True)
    with pytest.raises(KeyError), behind:
        behind.write([b"x"])
        raise KeyError("the run's own error")
    assert not behind.thread.is_alive()


class _Slow(io.BytesIO):
    """A sink whose first write waits until it is released."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()

    def write(self, data: object) -> int:
        self.started.set()
        self.release.wait(10)
        return super().write(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("discarded", [True, False], ids=["a file thrown away", "standard output"])
def test_when_the_run_fails_what_waits_is_dropped_if_the_output_is_thrown_away(discarded: bool) -> None:
    """A stopped run throws an unfinished file away: the blocks still waiting are not written first. On standard
    output they are: the output stops after what the run had made."""
    sink = _Slow()
    behind = WriteBehind(sink, discarded=discarded)
    with pytest.raises(KeyError), behind:
        behind.write([b"first "])
        assert sink.started.wait(10)
        for _ in range(write_behind.WAITING):
            behind.write([b"waiting "])
        threading.Timer(0.2, sink.release.set).start()  # the first write ends after the run has failed
        raise KeyError("the run's own error")
    assert sink.getvalue() == b"first " + (b"" if discarded else b"waiting " * write_behind.WAITING)
