"""A tiny DNS server on 127.0.0.1 for the front's lazy-resolution test.

It stands in for a cluster's DNS (compose's 127.0.0.11, Kubernetes' CoreDNS),
which cannot run here: it answers A queries for the names in `records`, an empty
NOERROR for other types of a known name, and NXDOMAIN for unknown names.
"""

from __future__ import annotations

import socket
import struct
import threading

TYPE_A = 1
CLASS_IN = 1


class DnsServer:
    def __init__(self, port: int, records: dict[str, str] | None = None):
        self.records = dict(records or {})
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", port))
        self.socket.settimeout(0.2)  # so the serving thread notices stop() promptly
        self.port = port
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> "DnsServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self.socket.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                query, client = self.socket.recvfrom(512)
            except TimeoutError:
                continue
            self.socket.sendto(self.answer(query), client)

    def answer(self, query: bytes) -> bytes:
        (query_id,) = struct.unpack("!H", query[:2])
        labels, offset = [], 12
        while query[offset]:
            length = query[offset]
            labels.append(query[offset + 1:offset + 1 + length].decode("ascii").lower())
            offset += 1 + length
        qtype, _ = struct.unpack("!HH", query[offset + 1:offset + 5])
        question = query[12:offset + 5]
        address = self.records.get(".".join(labels))
        answers = b""
        if address and qtype == TYPE_A:
            # name as a pointer to the question, A, IN, TTL 1 s, 4 bytes of address
            answers = struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, 1, 4) + socket.inet_aton(address)
        rcode = 0 if address else 3  # NXDOMAIN for unknown names
        header = struct.pack("!HHHHHH", query_id, 0x8180 | rcode, 1, 1 if answers else 0, 0, 0)
        return header + question + answers
