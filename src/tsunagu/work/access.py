"""Who may see or act on a job or a contract. One condition per line.

The web views and the API both ask these helpers; a helper that says no
means 404 for things the caller may not even see, 403 for things they may
see but not change.
"""

from tsunagu.accounts.models import MemberRole, Membership, User
from tsunagu.work.models import Contract, Job, Visibility


def _manages_organization(user: User, organization_id: int | None) -> bool:
    if organization_id is None:
        return False
    return Membership.objects.filter(
        organization_id=organization_id,
        user=user,
        role__in=[MemberRole.OWNER, MemberRole.ADMIN],
    ).exists()


def access_job_manage(user: User, job: Job) -> bool:
    """The poster, or an owner or administrator of the job's organization."""
    if not user.is_authenticated:
        return False
    if job.client_id == user.pk:
        return True
    return _manages_organization(user, job.organization_id)


def access_job_view(user: User, job: Job) -> bool:
    """Public jobs for all; invited-only jobs for managers and the invited."""
    if job.visibility == Visibility.PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if access_job_manage(user, job):
        return True
    if job.invitations.filter(worker=user).exists():
        return True
    return job.proposals.filter(worker=user).exists()


def access_contract_view(user: User, contract: Contract) -> bool:
    """Both parties and the client's organization managers; staff too."""
    if not user.is_authenticated:
        return False
    if user.pk in (contract.client_id, contract.worker_id):
        return True
    if user.is_staff:
        return True
    return _manages_organization(user, contract.organization_id)


def access_contract_act_as_client(user: User, contract: Contract) -> bool:
    if not user.is_authenticated:
        return False
    if contract.client_id == user.pk:
        return True
    return _manages_organization(user, contract.organization_id)
