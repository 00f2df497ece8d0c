"""``tsunagu demo``: build a synthetic market and write its ground truth.

Prints only the three showcase sign-in accounts and the shared password;
the numbered synthetic people are never listed.
"""

import time
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.demo.services import DemoSize, demo_accounts, demo_market_build
from tsunagu.errors import DomainError

DEFAULTS = DemoSize(workers=2000, clients=300, months=12, seed=42)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ArgumentTypeError("must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Build a synthetic demo market (Japanese names and text, every job format, "
        "proposals, contracts, reviews, messages) from a hidden model, and write the "
        "model's true parameters to a ground-truth JSON file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workers", type=_positive, default=DEFAULTS.workers)
        parser.add_argument(
            "--clients", type=_positive, default=DEFAULTS.clients, help="client accounts"
        )
        parser.add_argument("--months", type=_positive, default=DEFAULTS.months)
        parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
        parser.add_argument(
            "--truth", type=Path, default=None, help="ground-truth file (default: data folder)"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the market has users already"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The market already has users; no demo built.")
            return
        size = DemoSize(
            workers=options["workers"],
            clients=options["clients"],
            months=options["months"],
            seed=options["seed"],
        )
        started = time.monotonic()
        try:
            built = demo_market_build(
                size=size,
                now=timezone.now().replace(microsecond=0),
                truth_path=options["truth"],
                progress=options["verbosity"] >= 1,
            )
        except DomainError as error:
            raise CommandError(error.message) from error

        self.stdout.write(
            f"Demo market built in {time.monotonic() - started:.0f} s: {built.users} users, "
            f"{built.jobs} jobs, {built.contracts} contracts (seed {size.seed})."
        )
        money = built.money
        outcomes = ", ".join(f"{name} {n}" for name, n in sorted(money.outcomes.items()))
        self.stdout.write(
            f"Orders carried forward through the services: {outcomes}; "
            f"{money.prizes_funded} prizes paid in advance."
        )
        payouts = ", ".join(f"{status} {n}" for status, n in sorted(money.payouts.items()))
        self.stdout.write(f"Payouts through the payout services: {payouts or 'none'}.")
        self.stdout.write(f"Ground truth: {built.truth_path}")
        self.stdout.write("Sign in with:")
        for role, email in demo_accounts():
            self.stdout.write(f"  {role:<17} {email}")
        self.stdout.write(f"Every demo account's password is {settings.TSUNAGU_DEMO_PASSWORD}")
