"""Reading the dev mailbox (CHAT_DATA_DIR/outbox) as a user reads their mail."""

from __future__ import annotations

import email
import re
from pathlib import Path


def last_mail_token(outbox: Path, to: str) -> str:
    mails = sorted(outbox.glob("*.eml"))
    for path in reversed(mails):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"].lower() == to.lower():
            body = message.get_payload(decode=True).decode()
            match = re.search(r"token=([A-Za-z0-9_-]+)", body)
            assert match, body
            return match.group(1)
    raise AssertionError(f"no mail to {to} in {outbox}")
