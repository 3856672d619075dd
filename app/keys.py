"""The two keys nobody may know: SESSION_SECRET (signs console sessions) and PSEUDONYM_KEY (hashes LINE user IDs).

The source is public, so an embedded default would let anyone sign an admin session or recompute a user's pseudonym.
When a key is not configured, a random one is generated into the data folder on first start (mode 0600) and reused
after, so every process sharing that folder agrees on it. With ENVIRONMENT=production both must be configured: a
generated key lives only on one machine's disk, and losing PSEUDONYM_KEY cuts every citizen off from their history.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

log = logging.getLogger(__name__)

# A configured key shorter than this is too easy to guess offline from one signed cookie.
MIN_CONFIGURED_LENGTH = 16
# What older versions shipped as the default: known to anyone who read the source, so never accepted in production.
KNOWN_DEFAULT = "local-development-only-change-me"
# Another process creates the file and writes it in one call; this long is plenty to see its content.
_WRITE_WAIT_SECONDS = 5.0


class SecretConfigError(ValueError):
    """The configuration would run the app with a key others can know."""


def production_problem(name: str, configured: str | None) -> str | None:
    """Why a configured key is refused in production (the message names the variable), or None when it is fine."""
    if not configured:
        return f"{name} is not set"
    if configured == KNOWN_DEFAULT:
        return f"{name} has the public default value"
    if len(configured) < MIN_CONFIGURED_LENGTH:
        return f"{name} is shorter than {MIN_CONFIGURED_LENGTH} characters"
    return None


def generated_secret(data_dir: Path, name: str) -> str:
    """The key stored in `data_dir/<name>.key`, created at random by whichever process gets there first.

    O_EXCL makes the creation atomic: of several processes starting together exactly one writes the key and all of
    them read the same value back.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{name}.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
        file.flush()
        os.fsync(file.fileno())
    log.warning("%s is not set: generated a random one in %s (set it in the environment to share it across machines)",
                name.upper(), path)
    return _read_key(path)


def _read_key(path: Path) -> str:
    deadline = time.monotonic() + _WRITE_WAIT_SECONDS
    while True:
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
        if time.monotonic() > deadline:  # the creating process died between creating and writing
            raise SecretConfigError(f"{path} is empty: delete it and start again, or set {path.stem.upper()}")
        time.sleep(0.05)
