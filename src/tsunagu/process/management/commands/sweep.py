"""``tsunagu sweep``: run everything that is due once (for cron) and print what it did."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from tsunagu.process.sweep import sweep_run


class Command(BaseCommand):
    help = "Run every due step once (automatic approvals, ...) and print a JSON summary."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep_run()
        self.stdout.write(json.dumps(result.as_dict()))
