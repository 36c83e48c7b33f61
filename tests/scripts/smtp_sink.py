#!/usr/bin/python3
"""A real SMTP server for tests, on loopback only: every accepted message becomes files.

    smtp_sink.py --port 2525 --dir /tmp/sink [--fail-code 550 --fail-count 3]
                 [--starttls CERT KEY] [--auth USER:PASSWORD [--auth-without-tls]]

For the n-th accepted message it writes <dir>/<n>.eml (the bytes as received) and
<dir>/<n>.json (the envelope and the message as Python's email package reads it: decoded
subject, text and HTML parts), so a test checks what a mail reader would show, decoded by an
implementation independent of the sender's. With --fail-code, the next --fail-count
transactions (-1: all) get that reply to every RCPT TO, e.g. 451 (try again) or 550 (no such
mailbox); the count is written to <dir>/refused. The JSON also says whether the message came
over TLS ("tls") and as which user ("auth_login", null without AUTH).

--starttls offers STARTTLS with that certificate and key (PEM) and refuses every command but
EHLO, NOOP and QUIT before it. --auth requires AUTH (PLAIN or LOGIN) with that user and
password before MAIL, and only after STARTTLS unless --auth-without-tls. Every AUTH attempt
appends {"login", "mechanism", "accepted", "tls"} to <dir>/auth.jsonl (never the password),
and every EHLO bumps the count in <dir>/greetings, so a test can tell "the client never
tried" from "the client never arrived". It writes <dir>/ready once it accepts
connections and stops on SIGTERM or SIGINT. Needs aiosmtpd (Debian: python3-aiosmtpd), hence
/usr/bin/python3 rather than whatever python3 comes first on the PATH.
"""

import argparse
import email
import email.policy
import json
import os
import signal
import ssl
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

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
        self.greetings = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.greetings += 1
            self._write("greetings", str(self.greetings))
        # With this hook defined, aiosmtpd leaves recording the client's name to it.
        session.host_name = hostname
        return responses

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
            "tls": session.ssl is not None,
            "auth_login": session.auth_data if session.authenticated else None,
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


class Authenticator:
    """Accepts exactly one login and password; logs each attempt without the password."""

    def __init__(self, directory, login, password):
        self.path = os.path.join(directory, "auth.jsonl")
        self.login = login.encode("utf-8")
        self.password = password.encode("utf-8")
        self.lock = threading.Lock()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        accepted = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.login
            and auth_data.password == self.password
        )
        login = None
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
        tls = session.ssl is not None
        entry = {"login": login, "mechanism": mechanism, "accepted": accepted, "tls": tls}
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        # auth_data becomes session.auth_data: the login, for the message's JSON.
        return AuthResult(success=accepted, handled=False, auth_data=login if accepted else None)


def main():
    # aiosmtpd itself sets the deprecated attribute on every AUTH; the warning is noise here.
    warnings.filterwarnings("ignore", "Session.login_data is deprecated")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fail-code", type=int)
    parser.add_argument("--fail-count", type=int, default=-1)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--auth-without-tls", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    smtp = {"decode_data": False}
    if args.starttls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.starttls)
        smtp.update(tls_context=context, require_starttls=True)
    if args.auth:
        login, _, password = args.auth.partition(":")
        smtp.update(
            authenticator=Authenticator(args.dir, login, password),
            auth_required=True,
            auth_require_tls=not args.auth_without_tls,
        )
    sink = Sink(args.dir, args.fail_code, args.fail_count)
    controller = Controller(sink, hostname="127.0.0.1", port=args.port, **smtp)
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
