"""``tsunagu worker``: the background worker, continuously.

Every ``--interval`` seconds it runs the queued one-off tasks (Django's task
framework, database backend) until the queue is empty, and the sweep once a
minute (``--sweep-every``). Stop it with SIGTERM or Ctrl+C: it finishes the
task at hand first. ``--once`` runs one round and exits (for tests).
"""

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from tsunagu.process.sweep import sweep_run


class Command(BaseCommand):
    help = "Run queued tasks and the periodic sweep until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0)
        parser.add_argument("--sweep-every", type=float, default=60.0)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        last_sweep = 0.0

        while self.running:
            close_old_connections()
            if time.monotonic() - last_sweep >= options["sweep_every"] or options["once"]:
                sweep_run()
                last_sweep = time.monotonic()
            self._drain_queue()
            if options["once"]:
                return
            time.sleep(options["interval"])

    def _drain_queue(self) -> None:
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="tsunagu-worker",
            excluded_queue_names=[],
        ).run()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.running = False
