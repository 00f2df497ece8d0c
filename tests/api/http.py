"""Calling the API as a client program would: JSON in, JSON or problem+json out."""

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

BASE = "/api/v1"
PROBLEM = "application/problem+json"


def get(client: Client, path: str, **params: Any):
    return client.get(BASE + path, params)


def post(client: Client, path: str, body: dict[str, Any] | None = None):
    return client.post(BASE + path, body or {}, content_type="application/json")


def put(client: Client, path: str, body: dict[str, Any]):
    return client.put(BASE + path, body, content_type="application/json")


def patch(client: Client, path: str, body: dict[str, Any]):
    return client.patch(BASE + path, body, content_type="application/json")


def delete(client: Client, path: str):
    return client.delete(BASE + path)


def assert_problem(response, status: int, code: str) -> dict[str, Any]:
    """The response is problem+json with ``status`` and ``code``; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    assert body["detail"]
    return body


def in_days(days: float) -> str:
    """An aware ISO 8601 time ``days`` from now, as a client would send it."""
    return (timezone.now() + timedelta(days=days)).isoformat()


def project_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": "project",
        "category": "data-entry",
        "title": "Excelマクロで売上集計を自動化",
        "description": "毎月の売上データをVBAで集計する仕組みを作ってください。",
        "deadline": in_days(14),
        "budget_yen": 50_000,
        "skills": [{"skill": "VBA", "required": True, "min_level": 3}],
    }
    body.update(overrides)
    return body


def signed_up(email: str, display_name: str, **roles: Any) -> tuple[Client, dict[str, Any]]:
    """A new browser that signed up and signed in through the API."""
    browser = Client()
    password = "kasumi-gaseki-2026"
    response = post(
        browser,
        "/auth/signup",
        {"email": email, "password": password, "display_name": display_name, **roles},
    )
    assert response.status_code == 201, response.content
    response = post(browser, "/auth/signin", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return browser, response.json()
