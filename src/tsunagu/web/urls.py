"""The pages' addresses. The accounts mails link to /accounts/verify/<token>/,
/accounts/reset/<uid>/<token>/ and /organizations/join/<token>/."""

from django.urls import path

from tsunagu.web.views import (
    accounts,
    board,
    contracts,
    jobs,
    money,
    mypage,
    notifications,
    operators,
    payouts,
    tasks,
    workers,
)

app_name = "web"

urlpatterns = [
    path("", jobs.home, name="home"),
    # accounts
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("accounts/verify/<str:token>/", accounts.verify_email, name="verify_email"),
    path("accounts/reset/", accounts.password_reset_request, name="password_reset"),
    path(
        "accounts/reset/<int:user_id>/<str:token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/close/", accounts.account_close, name="account_close"),
    path("organizations/join/<str:token>/", accounts.organization_join, name="organization_join"),
    # マイページ
    path("mypage/", mypage.dashboard, name="mypage"),
    path("mypage/profile/", mypage.profile_edit, name="profile_edit"),
    path("mypage/skills/", mypage.skills, name="skills"),
    path("mypage/skills/<slug:slug>/remove/", mypage.skill_remove, name="skill_remove"),
    path("mypage/portfolio/", mypage.portfolio, name="portfolio"),
    path("mypage/invitations/", mypage.invitations, name="invitations"),
    path("mypage/orders/", board.order_board_page, name="order_board"),
    path("mypage/notifications/", notifications.notification_list, name="notifications"),
    path(
        "mypage/notifications/read/",
        notifications.notifications_read,
        name="notifications_read",
    ),
    path("mypage/bank-accounts/", payouts.bank_accounts, name="bank_accounts"),
    path(
        "mypage/bank-accounts/<int:bank_account_id>/deactivate/",
        payouts.bank_account_remove,
        name="bank_account_remove",
    ),
    path("mypage/payouts/", payouts.payouts, name="payouts"),
    path("mypage/statement/", money.statement, name="statement"),
    path("mypage/statement/csv/", money.statement_csv, name="statement_csv"),
    path("mypage/receipts/", money.receipts, name="receipts"),
    path("mypage/receipts/csv/", money.receipts_csv, name="receipts_csv"),
    path("mypage/payment-report/", money.payment_report, name="payment_report"),
    path("mypage/payment-report/csv/", money.payment_report_csv, name="payment_report_csv"),
    path(
        "invitations/<int:invitation_id>/respond/",
        mypage.invitation_respond,
        name="invitation_respond",
    ),
    path("invitations/send/", jobs.invitation_create, name="invitation_create"),
    # operators (staff only)
    path("operators/report/", operators.operator_report, name="operator_report"),
    path("operators/report/csv/", operators.operator_report_csv, name="operator_report_csv"),
    # workers
    path("workers/", workers.worker_list, name="worker_list"),
    path("workers/<int:user_id>/", workers.worker_detail, name="worker_detail"),
    # jobs
    path("jobs/new/", jobs.job_create, name="job_create"),
    path("jobs/<int:job_id>/", jobs.job_detail_view, name="job_detail"),
    path("jobs/<int:job_id>/propose/", jobs.proposal_create, name="proposal_create"),
    path("jobs/<int:job_id>/join/", jobs.task_join, name="task_join"),
    path("jobs/<int:job_id>/enter/", jobs.competition_enter, name="competition_enter"),
    path("jobs/<int:job_id>/award/", jobs.competition_award, name="competition_award"),
    path("jobs/<int:job_id>/close/", jobs.job_close, name="job_close"),
    # task batches: the worker's work page, the client's 作業管理 and 品質
    path("jobs/<int:job_id>/tasks/work/", tasks.task_work, name="task_work"),
    path("jobs/<int:job_id>/tasks/claim/", tasks.task_claim, name="task_claim"),
    path("jobs/<int:job_id>/tasks/manage/", tasks.task_manage, name="task_manage"),
    path("jobs/<int:job_id>/tasks/units/", tasks.task_units_add, name="task_units_add"),
    path(
        "jobs/<int:job_id>/tasks/approve/",
        tasks.task_answers_approve,
        name="task_answers_approve",
    ),
    path("jobs/<int:job_id>/tasks/quality/", tasks.task_quality, name="task_quality"),
    path(
        "task-answers/<int:answer_id>/submit/",
        tasks.task_answer_submit,
        name="task_answer_submit",
    ),
    path(
        "task-answers/<int:answer_id>/review/",
        tasks.task_answer_review,
        name="task_answer_review",
    ),
    path("proposals/<int:proposal_id>/accept/", jobs.proposal_accept, name="proposal_accept"),
    path("proposals/<int:proposal_id>/decline/", jobs.proposal_decline, name="proposal_decline"),
    path(
        "proposals/<int:proposal_id>/withdraw/",
        jobs.proposal_withdraw,
        name="proposal_withdraw",
    ),
    # contracts
    path("contracts/<int:contract_id>/", contracts.contract_detail_view, name="contract_detail"),
    path(
        "contracts/<int:contract_id>/messages/",
        contracts.message_create,
        name="message_create",
    ),
    path(
        "contracts/<int:contract_id>/complete/",
        contracts.contract_complete,
        name="contract_complete",
    ),
    path("contracts/<int:contract_id>/review/", contracts.review_create, name="review_create"),
    path("milestones/<int:milestone_id>/fund/", contracts.milestone_fund, name="milestone_fund"),
    path(
        "milestones/<int:milestone_id>/approve/",
        contracts.milestone_approve,
        name="milestone_approve",
    ),
    path(
        "milestones/<int:milestone_id>/payments/<int:payment_id>/cancel/",
        contracts.payment_cancel,
        name="payment_cancel",
    ),
]
