"""The order board's filters, read from the query string (``?side=worker&flagged=1``).

``waiting`` is said from the viewer's side (on me, on the other side); the
board's selector speaks of parties (client, worker), so the form turns one
into the other. An invalid filter is simply not applied.
"""

from dataclasses import dataclass

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tsunagu.process.board import BoardFilter, Party, Stage

SIDES = [("client", _("As client")), ("worker", _("As worker"))]

STAGE_LABELS: dict[str, Promise] = {
    Stage.RECRUITING: pgettext_lazy("order stage", "Recruiting"),
    Stage.CHOOSING: pgettext_lazy("order stage", "Choosing a worker"),
    Stage.AWAITING_PAYMENT: pgettext_lazy("order stage", "Awaiting payment"),
    Stage.IN_PROGRESS: pgettext_lazy("order stage", "In progress"),
    Stage.AWAITING_REVIEW: pgettext_lazy("order stage", "Awaiting review"),
    Stage.READY_TO_COMPLETE: pgettext_lazy("order stage", "Ready to complete"),
    Stage.DISPUTED: pgettext_lazy("order stage", "In dispute"),
    Stage.COMPLETED: pgettext_lazy("order stage", "Completed"),
    Stage.CLOSED: pgettext_lazy("order stage", "Closed"),
}

# A worker's board holds contracts only: no job is still recruiting there.
WORKER_STAGES = [stage for stage in Stage if stage not in (Stage.RECRUITING, Stage.CHOOSING)]


@dataclass(frozen=True)
class BoardChoice:
    as_worker: bool
    stage: str | None
    only: BoardFilter | None  # None: every order

    @property
    def side(self) -> str:
        return "worker" if self.as_worker else "client"


class BoardFilterForm(forms.Form):
    side = forms.ChoiceField(required=False, choices=SIDES, widget=forms.HiddenInput)
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[
            ("", _("All stages")),
            *((stage, STAGE_LABELS.get(stage, stage)) for stage in Stage),
        ],
    )
    waiting = forms.ChoiceField(
        label=_("Who must act"),
        required=False,
        choices=[
            ("", _("Anyone")),
            ("me", _("Waiting on me")),
            ("other", _("Waiting on the other side")),
        ],
    )
    flagged = forms.BooleanField(label=_("Overdue or at risk only"), required=False)

    def choice(self) -> BoardChoice:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        as_worker = data.get("side") == "worker"
        mine, theirs = (Party.WORKER, Party.CLIENT) if as_worker else (Party.CLIENT, Party.WORKER)
        waiting_on = {"me": mine, "other": theirs}.get(data.get("waiting") or "")
        stage = data.get("stage") or None
        flagged = bool(data.get("flagged"))
        only = None
        if stage or waiting_on or flagged:
            only = BoardFilter(stage=stage, waiting_on=waiting_on, flagged=flagged)
        return BoardChoice(as_worker=as_worker, stage=stage, only=only)
