"""The ``tsunagu`` console command: Django's management with our settings.

``tsunagu migrate``, ``tsunagu demo ...``, ``tsunagu check-ledger``: a dashed
name is the project's spelling of a command module written with underscores.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "tsunagu"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
