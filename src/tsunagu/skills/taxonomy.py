"""The shipped skill taxonomy (``data/taxonomy.json``) and how it is loaded.

The file lists the work categories and at least 300 skills with their
Japanese and English names, aliases and a popularity weight. Loading is an
upsert by slug, so it can run again after the file grows; it is run by a data
migration and takes the model classes as arguments for that reason.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from tsunagu.skills.normalize import normalize_skill_name

TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json"


class CategoryEntry(TypedDict):
    slug: str
    name_ja: str
    name_en: str
    position: int


class SkillEntry(TypedDict):
    slug: str
    name_ja: str
    name_en: str
    category: str
    aliases: list[str]
    popularity: int


class Taxonomy(TypedDict):
    categories: list[CategoryEntry]
    skills: list[SkillEntry]


@cache
def read_taxonomy() -> Taxonomy:
    with TAXONOMY_PATH.open(encoding="utf-8") as handle:
        data: Taxonomy = json.load(handle)
    return data


def skill_names(entry: SkillEntry) -> list[str]:
    """Every name of a skill: slug, both names and aliases, without repeats."""
    names: dict[str, str] = {}
    for name in [entry["slug"], entry["name_ja"], entry["name_en"], *entry["aliases"]]:
        names.setdefault(normalize_skill_name(name), name)
    return list(names.values())


def load_taxonomy(category_model: Any, skill_model: Any, alias_model: Any) -> None:
    """Upsert categories, skills and aliases from the shipped file."""
    taxonomy = read_taxonomy()

    categories = {}
    for entry in taxonomy["categories"]:
        category, _ = category_model.objects.update_or_create(
            slug=entry["slug"],
            defaults={
                "name_ja": entry["name_ja"],
                "name_en": entry["name_en"],
                "position": entry["position"],
            },
        )
        categories[entry["slug"]] = category

    existing = {skill.slug: skill for skill in skill_model.objects.all()}
    new_skills = []
    for skill_entry in taxonomy["skills"]:
        fields = {
            "name_ja": skill_entry["name_ja"],
            "name_en": skill_entry["name_en"],
            "category": categories[skill_entry["category"]],
            "popularity": skill_entry["popularity"],
        }
        skill = existing.get(skill_entry["slug"])
        if skill is None:
            new_skills.append(skill_model(slug=skill_entry["slug"], **fields))
            continue
        for name, value in fields.items():
            setattr(skill, name, value)
        skill.save(update_fields=list(fields))
    skill_model.objects.bulk_create(new_skills)

    skills = {skill.slug: skill for skill in skill_model.objects.all()}
    known = set(alias_model.objects.values_list("normalized", flat=True))
    aliases = []
    for skill_entry in taxonomy["skills"]:
        for name in skill_names(skill_entry):
            key = normalize_skill_name(name)
            if key not in known:
                known.add(key)
                skill = skills[skill_entry["slug"]]
                aliases.append(alias_model(skill=skill, alias=name, normalized=key))
    alias_model.objects.bulk_create(aliases)
