#!/usr/bin/env python
"""Django's command-line utility. `platform/` is a source root, appended (never prepended) to sys.path
so that it cannot shadow the stdlib `platform` module."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main():
    for path in (str(ROOT), str(ROOT / "platform")):
        if path not in sys.path:
            sys.path.append(path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
