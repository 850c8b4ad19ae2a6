"""Loopback helpers for tests that talk to a real server: a free port, and a real SMTP server in this process
(aiosmtpd in a thread) that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What an in-process SMTP server received: the raw envelopes and, parsed, the messages."""

    def __init__(self):
        self.envelopes = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(env.content, policy=email.policy.default) for env in self.envelopes]


@contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    """A real SMTP server on a free loopback port for the block's duration; `Inbox.port` is where it listens."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), loop=asyncio.new_event_loop())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()
