from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "tsunagu.work"
    verbose_name = _("Work")

    def ready(self) -> None:
        from tsunagu.payments.funding import funded_handler_register
        from tsunagu.work.escrow import milestone_mark_funded

        # A confirmed payment for a milestone makes the milestone workable.
        funded_handler_register("milestone", milestone_mark_funded)
