#!/usr/bin/python3
"""A misbehaving peer in front of a real one, for the fault tests: the first --count
connections get the bad behaviour, every later one is passed through to --upstream as is.

    bad_peer.py --port-file FILE --upstream PORT --mode garbage|reset|slow --count N
                [--marker TEXT] [--delay SECONDS] [--log FILE]

Listens on 127.0.0.1 on a free port and writes the port number to --port-file once it accepts
connections (written whole, then renamed). Modes, for a bad connection:

  garbage  answers what is not the protocol: writes a line of text that is neither an SMTP
           greeting nor an HTTP status line as soon as the client connects (or, with --marker,
           once the client sent it), then closes. Nothing reaches the upstream.
  reset    passes the dialogue through until the client sends --marker (e.g. "DATA" for SMTP,
           the blank line ending an HTTP request's head), then resets the client's connection
           (RST) and closes the upstream's before that data reaches it: nothing is delivered.
  slow     passes the client's bytes through at once, but holds the upstream's answers for
           --delay seconds once the client sent --marker (default: from the start), so a
           client with a shorter timeout gives up after the upstream already processed the
           request — the duplicate a retry then makes is the one this peer explains.

--marker is matched across chunk boundaries; "\\r\\n" in it means CR LF. Each bad connection
appends one line "<n> <mode>" to --log. Stops on SIGTERM. Python 3 standard library only.
"""

import argparse
import asyncio
import os
import signal
import socket
import struct

GARBAGE = b"SSH-2.0-NotTheProtocolYouWanted \x00\xff garbage garbage\r\n"


class BadPeer:
    def __init__(self, args):
        self.upstream = args.upstream
        self.mode = args.mode
        self.left = args.count
        self.marker = args.marker.encode().replace(b"\\r\\n", b"\r\n")
        self.delay = args.delay
        self.log = args.log
        self.connections = 0

    async def serve(self, reader, writer):
        self.connections += 1
        bad = self.left != 0
        if self.left > 0:
            self.left -= 1
        if bad and self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(f"{self.connections} {self.mode}\n")
        try:
            if bad and self.mode == "garbage":
                await self.garbage(reader, writer)
            else:
                await self.forward(reader, writer, self.mode if bad else "pass")
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client or the upstream hung up: nothing to pass on
        finally:
            writer.close()

    async def garbage(self, reader, writer):
        if self.marker:
            await self.read_until_marker(reader)
        writer.write(GARBAGE)
        await writer.drain()

    async def read_until_marker(self, reader):
        seen = b""
        while self.marker not in seen:
            chunk = await reader.read(4096)
            if not chunk:
                return
            seen = (seen + chunk)[-(len(self.marker) + 4096):]

    async def forward(self, reader, writer, mode):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        marker_seen = asyncio.Event()
        if not self.marker:
            marker_seen.set()

        async def client_to_upstream():
            seen = b""
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    break
                seen = (seen + chunk)[-(len(self.marker) + 4096):]
                if self.marker and self.marker in seen:
                    if mode == "reset":
                        reset(writer)  # the client sees RST; the upstream a plain close
                        up_writer.close()
                        return
                    marker_seen.set()
                up_writer.write(chunk)
                await up_writer.drain()
            up_writer.close()

        async def upstream_to_client():
            while True:
                chunk = await up_reader.read(4096)
                if not chunk:
                    break
                if mode == "slow" and marker_seen.is_set():
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()

        tasks = [asyncio.ensure_future(client_to_upstream()),
                 asyncio.ensure_future(upstream_to_client())]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if mode == "reset" and tasks[0] in done:
            for task in pending:
                task.cancel()
        elif pending:
            await asyncio.wait(pending, timeout=self.delay + 30)
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # a peer that hung up: nothing to report
        up_writer.close()


def reset(writer):
    """Closes with RST instead of FIN: SO_LINGER with a zero timeout."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--upstream", type=int, required=True)
    parser.add_argument("--mode", choices=["garbage", "reset", "slow"], required=True)
    parser.add_argument("--count", type=int, default=3, help="bad connections (-1: all)")
    parser.add_argument("--marker", default="")
    parser.add_argument("--delay", type=float, default=5.0)
    parser.add_argument("--log")
    args = parser.parse_args()
    peer = BadPeer(args)
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(port))
    os.replace(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
