"""The server holds a response's head until its body follows, so both leave in one system call."""

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


HEAD = b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n"


def test_a_head_waits_for_its_body_and_both_leave_together() -> None:
    async def scenario() -> None:
        transport, peer = await _connected()
        corked = _CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(HEAD)
        assert corked.get_write_buffer_size() == len(HEAD)
        assert _read(peer) == b"<nothing>"  # held: nothing was sent yet
        corked.write(b"{}")  # the body: out at once with its head, without waiting for the loop
        assert _read(peer) == HEAD + b"{}"
        corked.write(b"a chunk that is no head")
        assert _read(peer) == b"a chunk that is no head"  # anything else goes out at once
        corked.write(HEAD)  # a head whose body never comes leaves at the end of the turn
        await asyncio.sleep(0)
        assert _read(peer) == HEAD
        transport.close()
        peer.close()

    asyncio.run(scenario())


def test_close_sends_what_is_held_first_and_abort_drops_it() -> None:
    async def scenario() -> None:
        transport, peer = await _connected()
        corked = _CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(HEAD)
        corked.close()
        await asyncio.sleep(0.01)
        assert _read(peer) == HEAD
        assert _read(peer) == b""  # then the end of the stream
        assert corked.is_closing()  # the rest is the transport's own
        peer.close()

        transport, peer = await _connected()
        corked = _CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(HEAD)
        corked.abort()
        await asyncio.sleep(0.01)
        assert _read(peer) in (b"", b"<nothing>")
        peer.close()

    asyncio.run(scenario())
