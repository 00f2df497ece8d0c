"""The published description of the API: served, complete, and private-safe."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db

REF = re.compile(r"#/components/schemas/\w+")

MAIN_PATHS = [
    "/api/v1/auth/signup",
    "/api/v1/auth/signin",
    "/api/v1/me/profile",
    "/api/v1/workers/{user_id}",
    "/api/v1/organizations",
    "/api/v1/skills",
    "/api/v1/jobs",
    "/api/v1/jobs/{job_id}",
    "/api/v1/jobs/{job_id}/proposals",
    "/api/v1/proposals/{proposal_id}/accept",
    "/api/v1/jobs/{job_id}/invitations",
    "/api/v1/jobs/{job_id}/task/join",
    "/api/v1/jobs/{job_id}/entries",
    "/api/v1/contracts/{contract_id}",
    "/api/v1/contracts/{contract_id}/messages",
]


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_has_the_main_paths(schema):
    assert schema["openapi"].startswith("3.")
    assert set(MAIN_PATHS) <= set(schema["paths"])


def test_every_operation_has_a_unique_id_and_a_summary(schema):
    operations = [op for path in schema["paths"].values() for op in path.values()]

    ids = [op.get("operationId") for op in operations]
    assert all(ids)
    assert len(ids) == len(set(ids))
    assert all(op.get("summary") for op in operations)


def test_the_main_bodies_carry_examples(schema):
    components = schema["components"]["schemas"]

    for name in ["SignupIn", "JobCreateIn", "ProposalIn", "InvitationIn", "ReviewIn"]:
        assert components[name].get("examples"), name


def test_request_bodies_refuse_unknown_fields(schema):
    components = schema["components"]["schemas"]
    bodies = {
        json.dumps(op["requestBody"]["content"]["application/json"]["schema"])
        for path in schema["paths"].values()
        for op in path.values()
        if "requestBody" in op
    }
    names = {ref.rsplit("/", 1)[1] for body in bodies for ref in REF.findall(body)}

    assert {"SignupIn", "JobCreateIn", "ProposalAcceptIn"} <= names
    for name in names:
        assert components[name].get("additionalProperties") is False, name


def test_no_response_carries_a_password_or_anothers_email(schema):
    components = schema["components"]["schemas"]
    outputs = {name: c for name, c in components.items() if name.endswith("Out")}

    for name, component in outputs.items():
        assert "password" not in component.get("properties", {}), name
    for name in ["PublicWorkerOut", "PartyOut", "ProposingWorkerOut", "JobSummaryOut"]:
        assert "email" not in components[name]["properties"], name


def test_the_interactive_docs_are_served(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_no_response_carries_a_bank_account_number_or_holder_name(schema):
    components = schema["components"]["schemas"]
    outputs = {name: c for name, c in components.items() if name.endswith("Out")}

    assert {"BankAccountOut", "PayoutBankAccountOut"} <= set(outputs)
    for name, component in outputs.items():
        fields = set(component.get("properties", {}))
        assert not fields & {"account_number", "holder_name"}, name
        assert not any("encrypted" in field for field in fields), name
