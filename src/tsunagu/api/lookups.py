"""Turn the ids and names in a request into objects, or refuse.

Path ids name the resource operated on: a missing one, or one the caller may
not see, is ``not_found`` (404) alike, so ids cannot be probed. Ids and names
inside a body are references: an unknown one is a 422 naming the field.
Permission to act stays with the services; these only decide visibility.
"""

from django.utils.translation import gettext as _

from tsunagu.accounts.models import Organization, User, WorkerProfile
from tsunagu.errors import DomainError, NotFound, RuleViolation
from tsunagu.skills.models import Category, Skill, WorkerSkill
from tsunagu.skills.selectors import worker_skills
from tsunagu.skills.services import resolve_skill
from tsunagu.work.access import access_contract_view, access_job_manage, access_job_view
from tsunagu.work.models import CompetitionEntry, Contract, Invitation, Job, Proposal
from tsunagu.work.selectors import WorkerPage, contract_detail, job_detail, worker_public_page

# --- path ids -------------------------------------------------------------


def job_visible(user: User, job_id: int) -> Job:
    job = job_detail(job_id)
    if job is None or not access_job_view(user, job):
        raise NotFound(_("No such job."))
    return job


def job_managed(user: User, job_id: int) -> Job:
    """A job the caller manages; to everyone else it does not exist."""
    job = job_visible(user, job_id)
    if not access_job_manage(user, job):
        raise NotFound(_("No such job."))
    return job


def contract_visible(user: User, contract_id: int) -> Contract:
    contract = contract_detail(contract_id)
    if contract is None or not access_contract_view(user, contract):
        raise NotFound(_("No such contract."))
    return contract


def proposal_by_id(proposal_id: int) -> Proposal:
    """A proposal; the services answer 404 to callers who are not its parties."""
    proposal = Proposal.objects.select_related("job").filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound(_("No such proposal."))
    return proposal


def invitation_by_id(invitation_id: int) -> Invitation:
    """An invitation; the service answers 404 to anyone but its worker."""
    invitation = Invitation.objects.select_related("job").filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("No such invitation."))
    return invitation


def own_worker_profile(user: User) -> WorkerProfile:
    profile = WorkerProfile.objects.filter(user=user).prefetch_related("portfolio").first()
    if profile is None:
        raise NotFound(_("You have no worker profile yet."), code="profile_not_found")
    return profile


def public_worker_page(user_id: int) -> WorkerPage:
    """A public profile; a private, closed or client-only one is not found."""
    page = worker_public_page(user_id)
    if page is None:
        raise NotFound(_("No such worker."))
    return page


def organization_of_member(user: User, organization_id: int) -> Organization:
    organization = Organization.objects.filter(pk=organization_id, memberships__user=user).first()
    if organization is None:
        raise NotFound(_("No such organization."))
    return organization


def job_thread_worker(user: User, job: Job, worker_id: int | None) -> User:
    """Whose pre-contract thread about ``job`` the caller reads.

    A manager of the job names the worker; anyone else reads their own.
    """
    if not access_job_manage(user, job):
        return user
    if worker_id is None:
        raise DomainError(
            _("Say which worker you write to."), code="worker_required", field="worker_id"
        )
    return worker_with_id(worker_id)


def worker_skill_held(user: User, skill: Skill) -> WorkerSkill:
    held = worker_skills(user.pk).filter(skill=skill).first()
    if held is None:
        raise NotFound(_("You have not declared this skill."), code="skill_not_held")
    return held


# --- references in a body or a query ----------------------------------------


def category_named(slug: str, *, field: str = "category") -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise RuleViolation(
            _("Unknown category: %(slug)s") % {"slug": slug}, code="unknown_category", field=field
        )
    return category


def skill_named(name: str, *, field: str) -> Skill:
    """The skill for a slug or any alias, as ``resolve_skill`` finds it."""
    try:
        return resolve_skill(name)
    except NotFound as error:
        raise RuleViolation(error.message, code="unknown_skill", field=field) from None


def worker_with_id(worker_id: int, *, field: str = "worker_id") -> User:
    worker = User.objects.filter(pk=worker_id, is_active=True).first()
    if worker is None:
        raise RuleViolation(_("No such worker."), code="unknown_worker", field=field)
    return worker


def organization_with_id(organization_id: int, *, field: str = "organization_id") -> Organization:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise RuleViolation(_("No such organization."), code="unknown_organization", field=field)
    return organization


def entries_with_ids(entry_ids: list[int], *, field: str = "entry_ids") -> list[CompetitionEntry]:
    """The entries named, in the order named; the service checks they belong to the competition."""
    by_id = CompetitionEntry.objects.in_bulk(set(entry_ids))
    if len(by_id) != len(set(entry_ids)):
        raise DomainError(
            _("Choose winners among the entries."), code="invalid_winners", field=field
        )
    return [by_id[entry_id] for entry_id in dict.fromkeys(entry_ids)]
