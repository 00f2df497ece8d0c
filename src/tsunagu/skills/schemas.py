"""Bodies of the skills API: the taxonomy and the skills a worker holds.

Evidence and proven contracts are kept by the services (a contract makes a
skill proven); a worker's request sets the level only.
"""

from ninja import Schema
from pydantic import ConfigDict, Field

from tsunagu.api.limits import SmallCount
from tsunagu.skills.models import Skill, SkillAlias, WorkerSkill


class SkillBriefOut(Schema):
    slug: str
    name_ja: str
    name_en: str


class CategoryOut(Schema):
    slug: str
    name_ja: str
    name_en: str
    skills: list[SkillBriefOut]


class CategoriesOut(Schema):
    items: list[CategoryOut]


class SkillOut(Schema):
    slug: str
    name_ja: str
    name_en: str
    category: str = Field(description="The slug of the skill's home category.")

    @staticmethod
    def resolve_category(skill: Skill) -> str:
        return skill.category.slug


class SkillsOut(Schema):
    items: list[SkillOut]


class SkillDetailOut(SkillOut):
    popularity: int
    aliases: list[str] = Field(description="Every name the skill is found by.")

    @staticmethod
    def resolve_aliases(skill: Skill) -> list[str]:
        aliases: list[SkillAlias] = list(skill.aliases.all())
        return [alias.alias for alias in aliases]


class WorkerSkillIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"level": 4}]})

    level: SmallCount = Field(description="1 (beginner) to 5 (expert).")


class WorkerSkillOut(Schema):
    skill: str = Field(description="The skill's slug.")
    name_ja: str
    name_en: str
    category: str
    level: int
    evidence: str = Field(description="declared, tested or proven")
    proven_contracts: int
    test_score: int | None

    @staticmethod
    def resolve_skill(worker_skill: WorkerSkill) -> str:
        return worker_skill.skill.slug

    @staticmethod
    def resolve_name_ja(worker_skill: WorkerSkill) -> str:
        return worker_skill.skill.name_ja

    @staticmethod
    def resolve_name_en(worker_skill: WorkerSkill) -> str:
        return worker_skill.skill.name_en

    @staticmethod
    def resolve_category(worker_skill: WorkerSkill) -> str:
        return worker_skill.skill.category.slug


class WorkerSkillsOut(Schema):
    items: list[WorkerSkillOut]
