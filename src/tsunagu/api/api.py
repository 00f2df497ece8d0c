"""The REST API under /api/v1/: one NinjaAPI, a router per domain."""

from ninja import NinjaAPI

from tsunagu.api.errors import install_problem_handlers

api = NinjaAPI(
    title="Tsunagu API",
    version="1",
    description="Tsunagu (つなぐ) crowdsourcing platform: accounts, skills, jobs, contracts.",
    urls_namespace="api",
)
install_problem_handlers(api)
