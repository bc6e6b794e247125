"""Outgoing mail: SMTP when SMTP_URL is set, else a folder of .eml files (the dev mailbox)."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


class FileOutbox:
    """Writes each mail to `folder` so a developer (or a test) can read it."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(bytes(_message(self.sender, to, subject, body)))


class SmtpMailer:
    def __init__(self, url: str, sender: str) -> None:
        parsed = urlparse(url)
        self.ssl = parsed.scheme == "smtps"
        self.host = parsed.hostname or "localhost"
        self.port = parsed.port or (465 if self.ssl else 25)
        self.user = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.sender = sender

    def _send_blocking(self, message: EmailMessage) -> None:
        client_class = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with client_class(self.host, self.port, timeout=10) as client:
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)

    async def send(self, to: str, subject: str, body: str) -> None:
        await asyncio.to_thread(self._send_blocking, _message(self.sender, to, subject, body))
