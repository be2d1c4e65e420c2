"""The server's connections gather the writes of one turn of the event loop into one system call."""

from __future__ import annotations

import asyncio
import socket

from firebell.web.server import _CorkedTransport


async def _connected() -> tuple[asyncio.Transport, socket.socket]:
    ours, peer = socket.socketpair()
    peer.setblocking(False)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    return transport, peer


def _read(peer: socket.socket) -> bytes:
    try:
        return peer.recv(65536)
    except BlockingIOError:
        return b"<nothing>"


def test_writes_of_one_turn_leave_together_at_its_end() -> None:
    async def scenario() -> None:
        transport, peer = await _connected()
        corked = _CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n")
        corked.write(b"{}")
        assert corked.get_write_buffer_size() == 46
        assert _read(peer) == b"<nothing>"  # still held: nothing was sent yet
        await asyncio.sleep(0)
        assert _read(peer) == b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}"
        corked.write(b"next")
        await asyncio.sleep(0)
        assert _read(peer) == b"next"
        transport.close()
        peer.close()

    asyncio.run(scenario())


def test_close_sends_what_is_held_first_and_abort_drops_it() -> None:
    async def scenario() -> None:
        transport, peer = await _connected()
        corked = _CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(b"last words")
        corked.close()
        await asyncio.sleep(0.01)
        assert _read(peer) == b"last words"
        assert _read(peer) == b""  # then the end of the stream
        assert corked.is_closing()  # the rest is the transport's own
        peer.close()

        transport, peer = await _connected()
        corked = _CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(b"never sent")
        corked.abort()
        await asyncio.sleep(0.01)
        assert _read(peer) in (b"", b"<nothing>")
        peer.close()

    asyncio.run(scenario())
