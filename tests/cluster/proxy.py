"""kube-proxy stand-in: each Service gets a virtual IP (an address added to the
Docker bridge) and a small TCP forwarder per Service port that hands each
connection to one of the Service's ready endpoints, round robin. No endpoint
ready: the connection is closed, as kube-proxy rejects it."""

from __future__ import annotations

import itertools
import socket
import subprocess
import threading


def add_address(address: str, bridge: str) -> None:
    subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", bridge], check=True)


def remove_address(address: str, bridge: str) -> None:
    subprocess.run(["ip", "addr", "del", f"{address}/32", "dev", bridge], check=False,
                   stderr=subprocess.DEVNULL)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        try:  # pass the end of the stream on, as TCP does
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class ServicePort:
    """Listens on (virtual IP, Service port); endpoints are (pod IP, target port)."""

    def __init__(self, address: str, port: int):
        self.endpoints: list[tuple[str, int]] = []
        self._turn = itertools.count()
        self.listener = socket.create_server((address, port), reuse_port=False)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        endpoints = list(self.endpoints)
        if not endpoints:
            client.close()
            return
        try:
            upstream = socket.create_connection(endpoints[next(self._turn) % len(endpoints)], timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        _pump(upstream, client)
        # The server's side is done: closing both also ends the other direction.
        client.close()
        upstream.close()

    def close(self) -> None:
        try:  # wakes the thread blocked in accept(); close() alone keeps the port bound
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
