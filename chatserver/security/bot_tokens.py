"""Discord bot tokens at rest: Fernet (AES-128-CBC with an HMAC-SHA256, so a changed ciphertext is
refused, not decrypted into garbage), under keys that rotate.

The keys come from BOT_TOKEN_KEYS: the first encrypts, every one decrypts, so an operator adds a
new key in front, runs `chatserver rotate-bot-tokens` (everything re-encrypted with it) and then
drops the old one. Without the setting, zero-config mode keeps one generated key in
CHAT_DATA_DIR/bot-token.key, beside the embedded database and the uploads it already keeps there.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

KEY_FILE = "bot-token.key"


class UnreadableToken(Exception):
    """A stored token that none of the keys decrypts: its key was removed before the rotation."""


class BotTokenKeys:
    def __init__(self, keys: tuple[str, ...]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode()
        except InvalidToken:
            raise UnreadableToken from None

    def rotate(self, stored: str) -> str:
        """The same token encrypted with the first key."""
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise UnreadableToken from None


def _generated_key(data_dir: Path) -> str:
    """The zero-config key: made once, readable by this user only. Processes starting together agree:
    the file appears whole (a hard link of a finished file) or not at all, and the first one wins."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{KEY_FILE}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key())
        try:
            os.link(draft, path)
            log.info("generated a bot token key; set BOT_TOKEN_KEYS to choose your own",
                     extra={"path": str(path)})
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


@cache
def _keys(configured: tuple[str, ...], data_dir: Path) -> BotTokenKeys:
    return BotTokenKeys(configured or (_generated_key(data_dir),))


def bot_token_keys(configured: tuple[str, ...], data_dir: Path) -> BotTokenKeys:
    """The keys of BOT_TOKEN_KEYS, or the generated one when it is unset."""
    return _keys(configured, data_dir.resolve())
