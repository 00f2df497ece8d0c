"""The skill taxonomy as plain arrays, the form every demo draw works on.

Categories and skills are numbered in the order of the shipped taxonomy file,
so the same file always gives the same numbering and the same market. Nothing
here touches the database; ``tsunagu.demo.write`` maps slugs to row ids.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsunagu.skills.taxonomy import Taxonomy


@dataclass(frozen=True)
class Catalog:
    """Categories and skills by index.

    ``skill_category[s]`` is the home category of skill ``s``;
    ``category_skills[c]`` lists the skills whose home is ``c``, most popular
    first (ties in file order).
    """

    category_slugs: tuple[str, ...]
    category_names: tuple[str, ...]
    skill_slugs: tuple[str, ...]
    skill_names: tuple[str, ...]
    skill_category: NDArray[np.int64]
    skill_popularity: NDArray[np.float64]
    category_skills: tuple[NDArray[np.int64], ...]

    @property
    def n_categories(self) -> int:
        return len(self.category_slugs)

    @property
    def n_skills(self) -> int:
        return len(self.skill_slugs)

    def category_index(self, slug: str) -> int:
        return self.category_slugs.index(slug)

    def skill_index(self, slug: str) -> int:
        return self.skill_slugs.index(slug)


def catalog_from_taxonomy(taxonomy: Taxonomy) -> Catalog:
    """Number the taxonomy's categories (by position) and skills (file order)."""
    categories = sorted(taxonomy["categories"], key=lambda entry: entry["position"])
    category_slugs = tuple(entry["slug"] for entry in categories)
    position = {slug: index for index, slug in enumerate(category_slugs)}

    skills = taxonomy["skills"]
    skill_category = np.array([position[entry["category"]] for entry in skills], dtype=np.int64)
    popularity = np.array([max(1, entry["popularity"]) for entry in skills], dtype=np.float64)

    per_category = []
    for index in range(len(category_slugs)):
        members = np.flatnonzero(skill_category == index)
        order = np.argsort(-popularity[members], kind="stable")
        per_category.append(members[order])

    return Catalog(
        category_slugs=category_slugs,
        category_names=tuple(entry["name_ja"] for entry in categories),
        skill_slugs=tuple(entry["slug"] for entry in skills),
        skill_names=tuple(entry["name_ja"] for entry in skills),
        skill_category=skill_category,
        skill_popularity=popularity,
        category_skills=tuple(per_category),
    )
