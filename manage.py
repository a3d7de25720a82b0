#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    # In a checkout set up by `make`, find the same database and keys as `make` does
    # (project/checkout.py); explicit environment variables always win.
    from project.checkout import apply_defaults

    apply_defaults()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
