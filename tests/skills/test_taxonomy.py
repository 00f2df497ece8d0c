from collections import Counter

import pytest

from tsunagu.skills.models import Category, Skill, SkillAlias
from tsunagu.skills.normalize import normalize_skill_name
from tsunagu.skills.selectors import skill_lookup, skill_search
from tsunagu.skills.taxonomy import read_taxonomy, skill_names


def test_shipped_taxonomy_has_300_skills_in_every_category():
    # given the file the platform ships
    taxonomy = read_taxonomy()

    # then it is large and spread over every kind of work
    per_category = Counter(entry["category"] for entry in taxonomy["skills"])
    assert len(taxonomy["skills"]) >= 300
    assert set(per_category) == {c["slug"] for c in taxonomy["categories"]}
    assert min(per_category.values()) >= 15


def test_no_name_of_one_skill_is_a_name_of_another():
    # given every lookup key of every skill
    owners: dict[str, set[str]] = {}
    for entry in read_taxonomy()["skills"]:
        for name in skill_names(entry):
            owners.setdefault(normalize_skill_name(name), set()).add(entry["slug"])

    # then each key names one skill only
    shared = {key: slugs for key, slugs in owners.items() if len(slugs) > 1}
    assert shared == {}


@pytest.mark.django_db
def test_migration_loads_the_taxonomy_into_the_database():
    taxonomy = read_taxonomy()

    assert Category.objects.count() == len(taxonomy["categories"])
    assert Skill.objects.count() == len(taxonomy["skills"])
    assert SkillAlias.objects.count() >= Skill.objects.count() * 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "written", ["マクロ", "VBA", "Excel macro", "ＶＢＡ", "excel-vba", "エクセル マクロ"]
)
def test_every_way_of_writing_excel_vba_finds_it(written):
    found = skill_lookup(written)

    assert found is not None
    assert found.slug == "excel-vba"


@pytest.mark.django_db
def test_unknown_names_find_nothing():
    assert skill_lookup("存在しないスキル") is None
    assert skill_lookup("   ") is None


@pytest.mark.django_db
def test_search_by_part_of_a_name_puts_popular_skills_first():
    results = list(skill_search("word"))

    assert results[0].slug == "wordpress"
    popularity = [s.popularity for s in results]
    assert popularity == sorted(popularity, reverse=True)


@pytest.mark.django_db
def test_skill_name_follows_the_active_language():
    from django.utils import translation

    excel_vba = Skill.objects.get(slug="excel-vba")
    with translation.override("en"):
        assert excel_vba.name == excel_vba.name_en
    with translation.override("ja"):
        assert excel_vba.name == excel_vba.name_ja
