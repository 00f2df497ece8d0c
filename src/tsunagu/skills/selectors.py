"""Reads of the taxonomy: lookup by any name, search, a worker's skills."""

from django.db.models import Q, QuerySet

from tsunagu.skills.models import Category, Skill, SkillAlias, WorkerSkill
from tsunagu.skills.normalize import normalize_skill_name


def skill_lookup(name: str) -> Skill | None:
    """The skill any of whose names normalizes like ``name``, if one does.

    ``skill_lookup("マクロ")``, ``skill_lookup("VBA")`` and
    ``skill_lookup("excel-vba")`` all give Excel VBA.
    """
    key = normalize_skill_name(name)
    if not key:
        return None
    alias = SkillAlias.objects.select_related("skill").filter(normalized=key).first()
    return alias.skill if alias else None


def skill_search(text: str, *, limit: int = 20) -> QuerySet[Skill]:
    """Skills with a name or alias containing ``text``, the popular first."""
    key = normalize_skill_name(text)
    skills = Skill.objects.select_related("category")
    if key:
        skills = skills.filter(Q(aliases__normalized__contains=key)).distinct()
    return skills.order_by("-popularity", "id")[:limit]


def categories_with_skills() -> QuerySet[Category]:
    return Category.objects.prefetch_related("skills")


def worker_skills(worker_id: int) -> QuerySet[WorkerSkill]:
    return WorkerSkill.objects.filter(worker_id=worker_id).select_related("skill__category")
