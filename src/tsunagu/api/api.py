"""The REST API under /api/v1/: one NinjaAPI, a router per domain."""

from ninja import NinjaAPI

from tsunagu.accounts.api import router as accounts_router
from tsunagu.api.errors import install_problem_handlers
from tsunagu.notifications.api import router as notifications_router
from tsunagu.payments.api import router as payments_router
from tsunagu.process.api import router as process_router
from tsunagu.skills.api import router as skills_router
from tsunagu.work.api import router as work_router
from tsunagu.work.escrow_api import router as escrow_router

api = NinjaAPI(
    title="Tsunagu API",
    version="1",
    description="Tsunagu (つなぐ) crowdsourcing platform: accounts, skills, jobs, contracts.",
    urls_namespace="api",
)
install_problem_handlers(api)
api.add_router("", accounts_router)
api.add_router("", skills_router)
api.add_router("", work_router)
api.add_router("", payments_router)
api.add_router("", escrow_router)
api.add_router("", process_router)
api.add_router("", notifications_router)
