"""The virtual air a virtual wearable advertises on.

One bumble LocalLink carries the wearable's controller; centrals join it
either in-process (a controller on the same link: tests, `wearlog demo`) or
from another process over bumble's TCP HCI transport: each `serve_tcp` port
hosts one more controller whose host is the remote companion
(`wearlog scan --virtual 127.0.0.1:PORT`).
"""

from __future__ import annotations

import socket
from typing import Any

from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport.tcp_server import open_tcp_server_transport_with_socket


class Air:
    def __init__(self) -> None:
        self.link = LocalLink()
        self._transports: list[Any] = []
        self.controllers: list[Controller] = []

    async def serve_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Accept a remote central's HCI on host:port (0: any free port); returns the port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            sock.close()
            raise OSError(f"cannot listen on {host}:{port}: {e.strerror}; pick another --port") \
                from e
        port = sock.getsockname()[1]
        t = await open_tcp_server_transport_with_socket(sock)
        self._transports.append(t)
        self.controllers.append(Controller(f"remote{len(self.controllers)}",
                                           host_source=t.source, host_sink=t.sink,
                                           link=self.link))
        return port

    async def close(self) -> None:
        """Close every port: bumble's TCP server transport closes its packet pipes but
        neither its listening socket nor the central's accepted connection."""
        for t in self._transports:
            await t.close()
            conn = getattr(t.sink, "transport", None)
            if conn is not None:
                conn.close()
            server = getattr(t, "server", None)
            if server is not None:
                server.close()
                await server.wait_closed()
        self._transports = []
