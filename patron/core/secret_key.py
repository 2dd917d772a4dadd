"""The installation's secret key: made once, kept in the var directory.

Django signs sessions, CSRF tokens and password-reset links with
``SECRET_KEY``. A key written in the source would be public; a key made per
process would sign everyone out on every restart and would differ between
the gunicorn workers of one run. So, when ``SECRET_KEY`` is not set, the
first start writes a random key to ``<PATRON_VAR_DIR>/secret_key`` (mode
0600, never in git) and every later start and every worker reads it back.

Imported by the settings module, so it uses nothing of Django or Patron.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 50


class SecretKeyUnavailable(Exception):
    """No key in the environment and none could be read or written."""


def installation_key(var_dir: Path) -> str:
    """The key stored in ``var_dir``, written there first if there is none.

    Two processes starting together agree: each writes a private temporary
    file and links it into place, which succeeds for exactly one of them; the
    other reads the winner's key.
    """
    path = var_dir / FILE_NAME
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SecretKeyUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
    key = secrets.token_urlsafe(MIN_LENGTH)
    temporary = var_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path)
        return key
    except OSError as exc:
        raise SecretKeyUnavailable(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)


def _read(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_LENGTH:
        raise SecretKeyUnavailable(
            f"{path} holds a key shorter than {MIN_LENGTH} characters; "
            "delete the file to have a new one made, or set SECRET_KEY"
        )
    return key
