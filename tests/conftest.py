"""Shared fixtures: factories per entity, a fixed Hypothesis profile in CI."""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.factories import (
    ClientFactory,
    JobFactory,
    OrganizationFactory,
    WorkerFactory,
)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Argon2 is slow on purpose; tests that do not test hashing use MD5."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def worker(db):
    return WorkerFactory()


@pytest.fixture
def other_worker(db):
    return WorkerFactory()


@pytest.fixture
def client_user(db):
    return ClientFactory()


@pytest.fixture
def organization(db, client_user):
    return OrganizationFactory(owner=client_user)


@pytest.fixture
def project(db, client_user):
    return JobFactory(client=client_user)


@pytest.fixture
def taxonomy(db):
    """The shipped taxonomy, loaded again for transactional tests.

    A transactional test flushes every table when it ends, the rows that the
    data migration loaded included; a later transactional test whose
    factories need categories and skills asks for this fixture first.
    """
    from tsunagu.skills.models import Category, Skill, SkillAlias
    from tsunagu.skills.taxonomy import load_taxonomy

    load_taxonomy(Category, Skill, SkillAlias)


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Delivered files go to the test's own folder, never the checkout's data/."""
    settings.TSUNAGU_PRIVATE_DIR = tmp_path / "private"
