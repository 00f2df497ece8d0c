"""The skills API: the taxonomy for everyone, one's own skills when signed in."""

from django.http import HttpRequest
from ninja import Router, Status

from tsunagu.api.auth import SESSION, signed_in_user
from tsunagu.api.lookups import worker_skill_held
from tsunagu.api.pagination import DEFAULT_LIMIT, LimitQuery
from tsunagu.skills.models import Category, Skill, WorkerSkill
from tsunagu.skills.schemas import (
    CategoriesOut,
    SkillDetailOut,
    SkillsOut,
    WorkerSkillIn,
    WorkerSkillOut,
    WorkerSkillsOut,
)
from tsunagu.skills.selectors import categories_with_skills, skill_search, worker_skills
from tsunagu.skills.services import resolve_skill, worker_skill_remove, worker_skill_set

router = Router(tags=["skills"])


@router.get(
    "/categories",
    response=CategoriesOut,
    operation_id="category_list",
    summary="The kinds of work, each with its skills",
)
def category_list(request: HttpRequest) -> dict[str, list[Category]]:
    return {"items": list(categories_with_skills())}


@router.get(
    "/skills",
    response=SkillsOut,
    operation_id="skill_search",
    summary="Skills whose name or alias contains q (any script, any width)",
)
def skill_list(
    request: HttpRequest, q: str = "", limit: LimitQuery = DEFAULT_LIMIT
) -> dict[str, list[Skill]]:
    return {"items": list(skill_search(q, limit=limit))}


@router.get(
    "/skills/{skill}",
    response=SkillDetailOut,
    operation_id="skill_get",
    summary="One skill by slug or by any of its names",
)
def skill_get(request: HttpRequest, skill: str) -> Skill:
    return resolve_skill(skill)


@router.get(
    "/me/skills",
    auth=SESSION,
    response=WorkerSkillsOut,
    operation_id="my_skill_list",
    summary="The skills I declared, with level and evidence",
)
def my_skill_list(request: HttpRequest) -> dict[str, list[WorkerSkill]]:
    return {"items": list(worker_skills(signed_in_user(request).pk))}


@router.get(
    "/me/skills/{skill}",
    auth=SESSION,
    response=WorkerSkillOut,
    operation_id="my_skill_get",
    summary="One of my skills",
)
def my_skill_get(request: HttpRequest, skill: str) -> WorkerSkill:
    return worker_skill_held(signed_in_user(request), resolve_skill(skill))


@router.put(
    "/me/skills/{skill}",
    auth=SESSION,
    response=WorkerSkillOut,
    operation_id="my_skill_set",
    summary="Declare a skill (slug or any alias) or change its level",
)
def my_skill_set(request: HttpRequest, skill: str, payload: WorkerSkillIn) -> WorkerSkill:
    return worker_skill_set(
        worker=signed_in_user(request), skill=resolve_skill(skill), level=payload.level
    )


@router.delete(
    "/me/skills/{skill}",
    auth=SESSION,
    response={204: None},
    operation_id="my_skill_remove",
    summary="Remove a declared skill",
)
def my_skill_remove(request: HttpRequest, skill: str) -> Status[None]:
    worker_skill_remove(worker=signed_in_user(request), skill=resolve_skill(skill))
    return Status(204, None)
