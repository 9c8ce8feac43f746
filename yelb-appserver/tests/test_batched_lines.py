"""Request lines written in batches (batched_lines.py): whole, in order, bounded, none lost at exit."""

from __future__ import annotations

import json
import os
import select
import socket
import threading
import time

import pytest

from yelb_appserver import batched_lines
from yelb_appserver.batched_lines import MAX_PENDING, BatchedLines


def encode(fields: tuple) -> bytes:
    thread, number = fields
    # About 300 bytes, as a request line: a dozen fit in one PIPE_BUF.
    return json.dumps({"thread": thread, "number": number, "padding": "x" * 260}).encode() + b"\n"


@pytest.fixture
def packets():
    """A socket that keeps each write(2) as one message, and a thread reading them all."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    received: list[bytes] = []

    def read():
        while message := ours.recv(1 << 16):
            received.append(message)

    reader = threading.Thread(target=read)
    reader.start()

    def finish() -> list[bytes]:
        theirs.shutdown(socket.SHUT_WR)
        reader.join(10)
        return received

    yield theirs.fileno(), finish
    ours.close()
    theirs.close()


def test_lines_from_many_threads_arrive_whole_in_order_and_each_write_fits_a_pipe(packets):
    descriptor, finish = packets
    writer = BatchedLines(descriptor, encode)
    threads = [threading.Thread(target=lambda name=name: [writer.add((name, number)) for number in range(500)])
               for name in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    writes = finish()

    assert all(len(write) <= select.PIPE_BUF and write.endswith(b"\n") for write in writes)
    lines = [json.loads(line) for write in writes for line in write.splitlines()]
    for name in range(8):
        assert [line["number"] for line in lines if line["thread"] == name] == list(range(500))
    assert len(writes) < len(lines) / 10, "lines are meant to go out a dozen to a write"


def test_a_line_goes_out_within_the_interval_without_any_other_request():
    read_end, write_end = os.pipe()
    try:
        writer = BatchedLines(write_end, encode)
        writer.add(("alone", 1))
        ready, _, _ = select.select([read_end], [], [], 5)
        assert ready, f"no line after 5 s; lines are written every {batched_lines.FLUSH_SECONDS} s"
        assert json.loads(os.read(read_end, 4096))["thread"] == "alone"
        writer.close()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_stuck_log_reader_holds_requests_back_instead_of_growing_memory():
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:  # fill the pipe, as a log reader that stopped reading would
            os.write(write_end, b"\n" * 4096)
    except BlockingIOError:
        os.set_blocking(write_end, True)
    writer = BatchedLines(write_end, encode)
    flood = threading.Thread(target=lambda: [writer.add(("flood", number)) for number in range(MAX_PENDING * 3)])
    flood.start()
    try:
        time.sleep(1)
        assert flood.is_alive(), "the request that found the lines full should wait for the reader"
        assert len(writer._pending) <= MAX_PENDING
    finally:
        drained = bytearray()

        def drain():
            while chunk := os.read(read_end, 1 << 16):
                drained.extend(chunk)

        reader = threading.Thread(target=drain)
        reader.start()
        flood.join(20)
        writer.close()
        os.close(write_end)
        reader.join(20)
        os.close(read_end)
    assert not flood.is_alive()
    numbers = [json.loads(line)["number"] for line in drained.splitlines() if line]
    assert numbers == list(range(MAX_PENDING * 3))


def test_one_writer_per_process_and_descriptor_however_many_apps():
    read_end, write_end = os.pipe()
    try:
        first = batched_lines.batched_writer(write_end, encode)
        assert batched_lines.batched_writer(write_end, encode) == first
        first(("shared", 1))
    finally:
        batched_lines._writers.pop((os.getpid(), write_end, encode)).close()
        assert json.loads(os.read(read_end, 4096))["number"] == 1
        os.close(read_end)
        os.close(write_end)
