"""A contract with a funded milestone, ready to be delivered."""

import pytest

from tests.factories import ContractFactory, MilestoneFactory
from tsunagu.work import escrow


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.TSUNAGU_PRIVATE_DIR = tmp_path / "private"
    return settings.TSUNAGU_PRIVATE_DIR


@pytest.fixture
def funded(db, private_dir):
    """A funded ¥10,000 milestone of a fresh contract."""
    contract = ContractFactory(price_yen=10_000, milestone=None)
    milestone = MilestoneFactory(contract=contract, amount_yen=10_000)
    escrow.milestone_fund(
        milestone=milestone, by=contract.client, method="card", card_token="tok_visa"
    )
    milestone.refresh_from_db()
    return milestone
