#!/usr/bin/python3
"""A real SMTP server for tests, on loopback only: every accepted message becomes files.

    smtp_sink.py --port 2525 --dir /tmp/sink [--fail-code 550 --fail-count 3]

For the n-th accepted message it writes <dir>/<n>.eml (the bytes as received) and
<dir>/<n>.json (the envelope and the message as Python's email package reads it: decoded
subject, text and HTML parts), so a test checks what a mail reader would show, decoded by an
implementation independent of the sender's. With --fail-code, the next --fail-count
transactions (-1: all) get that reply to every RCPT TO, e.g. 451 (try again) or 550 (no such
mailbox); the count is written to <dir>/refused. It writes <dir>/ready once it accepts
connections and stops on SIGTERM or SIGINT. Needs aiosmtpd (Debian: python3-aiosmtpd), hence
/usr/bin/python3 rather than whatever python3 comes first on the PATH.
"""

import argparse
import email
import email.policy
import json
import os
import signal
import threading

from aiosmtpd.controller import Controller

REPLIES = {
    421: "421 4.3.2 service not available",
    450: "450 4.2.1 mailbox busy",
    451: "451 4.3.0 try again later",
    550: "550 5.1.1 mailbox unavailable",
    554: "554 5.7.1 rejected",
}


class Sink:
    def __init__(self, directory, fail_code, fail_count):
        self.directory = directory
        self.fail_code = fail_code
        self.fail_left = fail_count
        self.accepted = 0
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # Each MAIL FROM opens a transaction: decide here whether this one is refused.
        with self.lock:
            envelope.refuse = self.fail_code is not None and self.fail_left != 0
            if envelope.refuse and self.fail_left > 0:
                self.fail_left -= 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if getattr(envelope, "refuse", False):
            with self.lock:
                self.refused += 1
                self._write("refused", str(self.refused))
            return REPLIES.get(self.fail_code, f"{self.fail_code} refused by the test")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        decoded = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {name: str(value) for name, value in message.items()},
            "subject": str(message["subject"]),
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "defects": [type(d).__name__ for d in message.defects],
        }
        with self.lock:
            self.accepted += 1
            n = self.accepted
            with open(os.path.join(self.directory, f"{n}.eml"), "wb") as f:
                f.write(raw)
            self._write(f"{n}.json", json.dumps(decoded, ensure_ascii=False, indent=1))
        return "250 OK: queued"

    def _write(self, name, text):
        # Written whole then renamed, so a polling test never reads half a file.
        path = os.path.join(self.directory, name)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fail-code", type=int)
    parser.add_argument("--fail-count", type=int, default=-1)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    sink = Sink(args.dir, args.fail_code, args.fail_count)
    controller = Controller(sink, hostname="127.0.0.1", port=args.port, decode_data=False)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sink._write("ready", str(os.getpid()))
    try:
        while not stop.wait(0.2):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
