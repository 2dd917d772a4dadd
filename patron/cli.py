"""The ``patron`` command: Django's management commands with dashed names.

``patron seed-demo`` runs the ``seed_demo`` command, ``patron migrate`` runs
``migrate``; ``python -m patron ...`` does the same.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["patron", *args[1:]])


if __name__ == "__main__":
    main()
