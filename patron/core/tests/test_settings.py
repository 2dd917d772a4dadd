"""Settings that guard the installation: the secret key, allowed hosts, cookies.

The settings module is read once per process, so these start a fresh Python
with the environment under test and print what the settings became.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from patron.core.secret_key import SecretKeyUnavailable, installation_key

PUBLISHED_KEY = "patron-insecure-development-key-do-not-use-in-production"
_PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "SECRET_KEY": s.SECRET_KEY,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "LANGUAGE_COOKIE_SECURE": s.LANGUAGE_COOKIE_SECURE,
}))
"""


def _start(var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(
        DJANGO_SETTINGS_MODULE="patron.settings",
        PATRON_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir}/unused.sqlite3",
        **env,
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PRINT_SETTINGS],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _settings(var_dir: Path, **env: str) -> dict[str, Any]:
    started = _start(var_dir, **env)
    assert started.returncode == 0, started.stderr
    return json.loads(started.stdout)  # type: ignore[no-any-return]


def test_the_key_is_made_once_per_installation_and_kept_private(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = installation_key(var_dir)
    assert len(first) >= 50
    assert installation_key(var_dir) == first
    mode = stat.S_IMODE((var_dir / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert [p.name for p in var_dir.iterdir()] == ["secret_key"]  # no temporary left


def test_a_var_dir_that_cannot_be_written_gives_no_key(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SecretKeyUnavailable, match=r"cannot (read|write)"):
        installation_key(blocker / "var")


def test_a_start_without_secret_key_uses_the_installation_key_not_a_published_one(
    tmp_path: Path,
) -> None:
    # Both ways `patron serve` and `make run` used to reach the published key.
    for env in ({}, {"DEBUG": "1"}, {"PATRON_INSECURE_DEV_KEY": "1"}):
        started = _settings(tmp_path, **env)
        assert started["SECRET_KEY"] != PUBLISHED_KEY
        assert started["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()


def test_a_set_secret_key_wins_and_writes_no_file(tmp_path: Path) -> None:
    started = _settings(tmp_path, SECRET_KEY="x" * 60)
    assert started["SECRET_KEY"] == "x" * 60
    assert not (tmp_path / "secret_key").exists()


def test_without_debug_no_key_and_no_writable_var_dir_refuses_to_start(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    refused = _start(blocker / "var", DEBUG="0")
    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr
    assert "PATRON_VAR_DIR" in refused.stderr
    # Development still starts, with a key of its own process.
    started = _settings(blocker / "var", DEBUG="1")
    assert started["SECRET_KEY"] != PUBLISHED_KEY


def test_testserver_is_not_an_allowed_host_by_default(tmp_path: Path) -> None:
    assert _settings(tmp_path)["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_the_secure_cookie_flag_follows_secure_cookies(tmp_path: Path) -> None:
    flags = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE")
    plain = _settings(tmp_path)
    assert [plain[f] for f in flags] == [False, False, False]
    secure = _settings(tmp_path, SECURE_COOKIES="1")
    assert [secure[f] for f in flags] == [True, True, True]
