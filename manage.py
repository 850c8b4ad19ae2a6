#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as exc:
        # A bad setting stops start-up with one line naming the variable, not a traceback.
        if exc.__class__.__name__ == "SettingError":
            sys.exit(f"Configuration error: {exc}")
        raise


if __name__ == "__main__":
    main()
