"""Writes to workers' skills. Evidence only ever grows stronger here."""

from django.db import transaction
from django.utils.translation import gettext as _

from tsunagu.accounts.models import User, WorkerProfile
from tsunagu.errors import DomainError, NotFound, RuleViolation
from tsunagu.skills.models import Evidence, Skill, WorkerSkill
from tsunagu.skills.selectors import skill_lookup


def resolve_skill(name_or_slug: str) -> Skill:
    """The skill for a slug or any alias; ``unknown_skill`` (404) otherwise."""
    skill = skill_lookup(name_or_slug)
    if skill is None:
        raise NotFound(_("Unknown skill: %(name)s") % {"name": name_or_slug}, code="unknown_skill")
    return skill


def _check_level(level: int) -> None:
    if not 1 <= level <= 5:
        raise DomainError(_("A skill level is 1 to 5."), code="invalid_level", field="level")


@transaction.atomic
def worker_skill_set(*, worker: User, skill: Skill, level: int) -> WorkerSkill:
    """Declare a skill or change its level; existing evidence is kept."""
    _check_level(level)
    if not WorkerProfile.objects.filter(user=worker).exists():
        raise RuleViolation(_("Only workers declare skills."), code="not_a_worker")
    worker_skill, created = WorkerSkill.objects.select_for_update().get_or_create(
        worker=worker, skill=skill, defaults={"level": level, "evidence": Evidence.DECLARED}
    )
    if not created and worker_skill.level != level:
        worker_skill.level = level
        worker_skill.save(update_fields=["level", "updated_at"])
    return worker_skill


@transaction.atomic
def worker_skill_remove(*, worker: User, skill: Skill) -> None:
    deleted, _rows = WorkerSkill.objects.filter(worker=worker, skill=skill).delete()
    if not deleted:
        raise NotFound(_("You have not declared this skill."), code="skill_not_held")
