"""The state machines of an order, as data: which state may follow which.

Every status change of a job, contract, milestone, competition entry,
delivery, payout, task answer, contract change or dispute goes through
``tsunagu.audit.services.transition``, which checks the step against these
tables and records it. A step that is not listed is
refused with 409 ``illegal_transition``, naming the current state and the
steps allowed from it. Pure Python: no Django models here.
"""

from collections.abc import Mapping

Machine = Mapping[str, frozenset[str]]

JOB: Machine = {
    "open": frozenset({"closed", "cancelled", "completed"}),
    "closed": frozenset({"completed", "cancelled"}),
    "cancelled": frozenset(),
    "completed": frozenset(),
}

CONTRACT: Machine = {
    "active": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}

# pending: awaiting the client's payment; funded: work may go on;
# submitted: a delivery awaits review (a revision sends it back to funded).
# A client may also approve a funded milestone without a formal delivery
# (work handed over in the messages), which releases the money the same way.
MILESTONE: Machine = {
    "pending": frozenset({"funded", "cancelled"}),
    "funded": frozenset({"submitted", "approved", "cancelled"}),
    "submitted": frozenset({"approved", "funded", "cancelled"}),
    "approved": frozenset(),
    "cancelled": frozenset(),
}

ENTRY: Machine = {
    "submitted": frozenset({"shortlisted", "won", "not_selected", "withdrawn"}),
    "shortlisted": frozenset({"won", "not_selected", "withdrawn"}),
    "won": frozenset(),
    "not_selected": frozenset(),
    "withdrawn": frozenset(),
}

DELIVERY: Machine = {
    "submitted": frozenset({"approved", "auto_approved", "revision_requested", "withdrawn"}),
    "approved": frozenset(),
    "auto_approved": frozenset(),
    "revision_requested": frozenset(),
    "withdrawn": frozenset(),
}

# A payout is requested with the money already claimed, then approved at
# once or held for an operator's review; an approved payout is sent to the
# bank, which pays it or returns it. Failed and rejected payouts returned the
# money to the worker's balance.
PAYOUT: Machine = {
    "requested": frozenset({"approved", "held_for_review"}),
    "held_for_review": frozenset({"approved", "rejected"}),
    "approved": frozenset({"sent", "failed"}),
    "sent": frozenset({"paid", "failed"}),
    "paid": frozenset(),
    "failed": frozenset(),
    "rejected": frozenset(),
}

# claimed: the worker holds a place on the unit; a claim left unanswered
# expires (the sweep). submitted: awaits the client's review, which the sweep
# turns into auto_approved once the review window has passed.
TASK_ANSWER: Machine = {
    "claimed": frozenset({"submitted", "expired"}),
    "submitted": frozenset({"approved", "rejected", "auto_approved"}),
    "approved": frozenset(),
    "rejected": frozenset(),
    "auto_approved": frozenset(),
    "expired": frozenset(),
}

# A change to a contract's terms awaits the other side's answer; the
# proposer may withdraw it until then.
CONTRACT_CHANGE: Machine = {
    "proposed": frozenset({"accepted", "declined", "withdrawn"}),
    "accepted": frozenset(),
    "declined": frozenset(),
    "withdrawn": frozenset(),
}

# A dispute over a paid milestone: an operator resolves it with a split, or
# the side that opened it withdraws it.
DISPUTE: Machine = {
    "open": frozenset({"resolved", "withdrawn"}),
    "resolved": frozenset(),
    "withdrawn": frozenset(),
}

MACHINES: Mapping[str, Machine] = {
    "job": JOB,
    "contract": CONTRACT,
    "milestone": MILESTONE,
    "entry": ENTRY,
    "delivery": DELIVERY,
    "payout": PAYOUT,
    "task_answer": TASK_ANSWER,
    "contract_change": CONTRACT_CHANGE,
    "dispute": DISPUTE,
}


def allowed_next(machine: str, state: str) -> list[str]:
    """The states that may follow ``state``, sorted; [] for a final or unknown state."""
    return sorted(MACHINES[machine].get(state, frozenset()))


def is_allowed(machine: str, from_state: str, to_state: str) -> bool:
    return to_state in MACHINES[machine].get(from_state, frozenset())
