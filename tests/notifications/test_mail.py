"""The mail of a notification: once, after the commit, in Japanese, about the recipient only."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tests.factories import ContractFactory, MilestoneFactory, ProposalFactory, WorkerFactory
from tsunagu.notifications.kinds import Kind
from tsunagu.notifications.models import Notification
from tsunagu.notifications.services import notify
from tsunagu.notifications.tasks import notification_email_send
from tsunagu.process import services as process
from tsunagu.work import escrow, services

pytestmark = pytest.mark.django_db


def test_the_mail_waits_for_the_commit(django_capture_on_commit_callbacks, mailoutbox, worker):
    # when a notification is written but its transaction has not committed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipient=worker, kind=Kind.SCOUT_RECEIVED, link="/mypage/invitations/")

    # then nothing is mailed until it does, and then exactly once
    assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1


def test_a_rolled_back_change_mails_nobody(django_capture_on_commit_callbacks, mailoutbox, worker):
    class Refused(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Refused),
        transaction.atomic(),
    ):
        notify(recipient=worker, kind=Kind.SCOUT_RECEIVED, link="/mypage/invitations/")
        raise Refused

    assert Notification.objects.count() == 0
    assert mailoutbox == []


def test_the_mail_is_japanese_and_names_only_the_recipient(
    django_capture_on_commit_callbacks, mailoutbox, settings
):
    # given a contract whose milestone the worker has delivered
    settings.SITE_URL = "https://tsunagu.example"
    contract = ContractFactory(price_yen=10_000, milestone=None, title="ロゴ制作")
    milestone = MilestoneFactory(contract=contract, amount_yen=10_000, title="初稿")
    escrow.milestone_fund(milestone=milestone, by=contract.client, method="card", card_token="t")

    # when the worker delivers
    with django_capture_on_commit_callbacks(execute=True):
        process.delivery_submit(milestone=milestone, by=contract.worker, message="納品", files=[])

    # then the client reads, in Japanese, what to do and where
    (mail,) = [mail for mail in mailoutbox if mail.to == [contract.client.email]]
    assert mail.subject == "「ロゴ制作」の納品物を検収してください"
    assert mail.body.startswith(f"{contract.client.display_name} 様")
    assert "検収（承認）するか修正を依頼してください" in mail.body
    assert f"https://tsunagu.example/contracts/{contract.pk}/" in mail.body
    # and nothing about the worker
    assert contract.worker.display_name not in mail.body
    assert contract.worker.email not in mail.body + mail.subject


def test_titles_are_written_as_they_are(django_capture_on_commit_callbacks, mailoutbox):
    proposal = ProposalFactory(job__title="A&B <社内> ツール")

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_decline(proposal=proposal, by=proposal.job.client)

    assert mailoutbox[0].subject == "「A&B <社内> ツール」への提案は見送りとなりました"
    assert "「A&B <社内> ツール」への提案は今回は見送り" in mailoutbox[0].body


def test_a_task_run_twice_mails_once(mailoutbox, worker):
    notification = notify(recipient=worker, kind=Kind.SCOUT_RECEIVED, link="/mypage/invitations/")

    first = notification_email_send.call(notification.pk)
    second = notification_email_send.call(notification.pk)

    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_closed_account_gets_no_mail(mailoutbox, worker):
    notification = notify(recipient=worker, kind=Kind.SCOUT_RECEIVED, link="/mypage/invitations/")
    worker.is_active = False
    worker.save(update_fields=["is_active"])

    assert notification_email_send.call(notification.pk) is False
    assert mailoutbox == []


def test_a_failed_send_can_be_tried_again(mailoutbox, worker, settings):
    notification = notify(recipient=worker, kind=Kind.SCOUT_RECEIVED, link="/mypage/invitations/")
    settings.EMAIL_BACKEND = "tests.notifications.test_mail.BrokenBackend"

    with pytest.raises(ConnectionError):
        notification_email_send.call(notification.pk)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_email_send.call(notification.pk) is True
    assert len(mailoutbox) == 1


class BrokenBackend:
    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        pass

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionError("smtp down")


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_sends_queued_mail(mailoutbox, settings):
    # given the database queue, as in production, and a committed notification
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    worker = WorkerFactory()
    notify(recipient=worker, kind=Kind.SCOUT_RECEIVED, link="/mypage/invitations/")
    assert DBTaskResult.objects.count() == 1
    assert mailoutbox == []

    # when the worker runs a round
    call_command("worker", "--once")

    # then the mail is sent
    assert [mail.to for mail in mailoutbox] == [[worker.email]]


def test_an_unknown_kind_or_an_outside_link_is_a_programming_error(worker):
    with pytest.raises(ValueError, match="kind"):
        notify(recipient=worker, kind="party_invitation", link="/")
    with pytest.raises(ValueError, match="path"):
        notify(recipient=worker, kind=Kind.SCOUT_RECEIVED, link="https://evil.example/")
