"""The skill taxonomy and the skills workers hold.

Categories are the kinds of work (システム開発, データ入力・表計算, ...); each
skill belongs to one home category but may be asked for in any job. A skill is
found by any of its names through ``SkillAlias.normalized``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    name_ja = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Japanese unless English is on)."""
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja


class Category(BilingualName):
    slug = models.SlugField(unique=True, max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = _("categories")


class Skill(BilingualName):
    slug = models.SlugField(unique=True, max_length=80)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="skills")
    popularity = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["category__position", "-popularity", "id"]


class SkillAlias(models.Model):
    """Every name a skill goes by, its own names included, normalized once."""

    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=120)
    normalized = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = _("skill aliases")

    def __str__(self) -> str:
        return self.alias


class Evidence(models.TextChoices):
    """How we know a worker has a skill, weakest first."""

    DECLARED = "declared", _("Self-declared")
    TESTED = "tested", _("Tested")
    PROVEN = "proven", _("Proven by contracts")


EVIDENCE_STRENGTH = {Evidence.DECLARED: 0, Evidence.TESTED: 1, Evidence.PROVEN: 2}


class WorkerSkill(models.Model):
    """A skill a worker holds, at a level 1-5, with its strongest evidence.

    ``proven_contracts`` counts completed contracts that asked for the skill;
    ``test_score`` is the best skill-check score (0-100) when tested.
    """

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="holders")
    level = models.PositiveSmallIntegerField(default=1)
    evidence = models.CharField(max_length=10, choices=Evidence.choices, default=Evidence.DECLARED)
    test_score = models.PositiveSmallIntegerField(null=True, blank=True)
    proven_contracts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "skill"], name="one_worker_skill_each"),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=5), name="skill_level_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} L{self.level}"
