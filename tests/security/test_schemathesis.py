"""A bounded schemathesis run against both GraphQL endpoints finds no server errors.

Schemathesis (hypothesis-graphql underneath) generates documents for every root query and mutation of the tenant
schema (`alpha.localhost/graphql/`) and the platform schema (`localhost/graphql/`): positive ones (valid documents
with arbitrary argument values — any Unicode including NUL, empty and huge strings, random ids and cursors, extreme
integers, dates from year 1 to 9999 with or without an offset, JSON values, strings where a file belongs) and
negative ones (documents the schema must refuse). Each is posted in-process through Django's test client by every
kind of caller, inside the test's rolled-back transaction and a savepoint of its own (each case starts from the seeded
data; nothing commits, so no on_commit work or notification leaves the test):

- tenant host: anonymous, the tenant admin, an agency user, a staff member, a business-system token with every
  scope, a rating device's token;
- platform host: anonymous, the county admin, a system token with every scope, a third-party evaluator's token.

"No server error" means: no HTTP 5xx, a JSON object for every answer, and no GraphQL error the schema masked as
unexpected (`MASKED_ERROR_MESSAGE`, schema/core/build.py) or marked with an internal code. Refusals with a stable code
(PERMISSION_DENIED, INVALID_CURSOR, QUERY_TOO_COSTLY, ...), GraphQL's own validation errors and the typed
`errors { code message messageEn field }` of payloads are what bad input should get.

Bounded and repeatable: derandomized (the same cases every run; no example database), a fixed number of examples per
operation (POSITIVE for each operation the caller may call, one for the others — the permission check refuses them
before any argument is used —, NEGATIVE once per schema since validation does not depend on the caller) and a
per-example deadline. The whole file takes about a minute. SCHEMATHESIS_EXAMPLES / SCHEMATHESIS_NEGATIVE_EXAMPLES
raise the bounds for a longer local run."""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import schemathesis
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from graphql import NameNode, ObjectFieldNode, introspection_from_schema
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings, strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes

from haochaping.accounts.models import User
from haochaping.accounts.tokens import TOKEN_SCOPES, issue_token
from haochaping.organizations.models import Window
from haochaping.organizations.services import register_device
from schema.core.build import MASKED_ERROR_MESSAGE
from conftest import host_of

POSITIVE = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 6))
NEGATIVE = int(os.environ.get("SCHEMATHESIS_NEGATIVE_EXAMPLES", 3))
DEADLINE = timedelta(seconds=5)  # per example (one request); a request takes ~10-30 ms here
INTERNAL_CODES = {"INTERNAL_SERVER_ERROR", "INTERNAL_ERROR", "INTERNAL"}


# --- argument values for the project's custom scalars ------------------------------------------------------------

def _json_values():
    leaves = st.one_of(st.just(nodes.Null), st.booleans().map(nodes.Boolean),
                       st.integers(min_value=-(2**53), max_value=2**53).map(nodes.Int),
                       st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float), st.text().map(nodes.String))
    keys = st.text(max_size=12)
    return st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=3).map(nodes.List),
        st.dictionaries(keys, children, max_size=3).map(
            lambda d: nodes.Object([ObjectFieldNode(name=NameNode(value=k), value=v) for k, v in d.items()])),
    ), max_leaves=8)


def _datetimes():
    """ISO 8601 with `Z`, a ±14 h offset or none (read in Asia/Shanghai), across years 1-9999."""
    offsets = st.one_of(st.just(""), st.just("Z"), st.integers(min_value=-14 * 60, max_value=14 * 60).map(
        lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"))
    return st.tuples(st.datetimes(), offsets).map(lambda p: nodes.String(p[0].isoformat() + p[1]))


def _register_scalars() -> None:
    schemathesis.graphql.scalar("JSON", _json_values())
    schemathesis.graphql.scalar("DateTime", _datetimes())
    # A JSON body cannot carry a file: whatever a client puts in an Upload argument must be refused cleanly.
    schemathesis.graphql.scalar("Upload", st.one_of(st.text().map(nodes.String), st.integers().map(nodes.Int)))


def load(strawberry_schema):
    _register_scalars()
    return schemathesis.graphql.from_dict(introspection_from_schema(strawberry_schema._schema),
                                          config=SchemathesisConfig())


# --- the check ---------------------------------------------------------------------------------------------------

def server_errors(response) -> list[str]:
    """What is wrong with one answer: a 5xx, a body that is not a JSON object, masked or internal errors."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.content[:300]!r}"]
    try:
        body = json.loads(response.content)
    except ValueError:
        return [f"HTTP {response.status_code}, not JSON: {response.content[:300]!r}"]
    if not isinstance(body, dict):
        return [f"HTTP {response.status_code}, not a JSON object: {body!r:.300}"]
    problems = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if error.get("message") == MASKED_ERROR_MESSAGE or code in INTERNAL_CODES:
            problems.append(f"{error.get('message')} (code {code}, path {error.get('path')})")
    return problems


def denied(response) -> bool:
    """The permission check refused the (only) root field: nothing else about the arguments was looked at."""
    body = json.loads(response.content)
    return any((e.get("extensions") or {}).get("code") == "PERMISSION_DENIED" and len(e.get("path") or ()) == 1
               for e in body.get("errors") or ())


class _Exceptions(logging.Handler):
    """Strawberry logs each resolver exception: kept, not printed, so a failure can name the original exception."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            original = getattr(error, "original_error", None) or error
            self.seen.append(f"{type(original).__module__}.{type(original).__qualname__}: {original}"[:300])


@pytest.fixture
def exceptions():
    logger = logging.getLogger("strawberry.execution")
    handler = _Exceptions()
    saved = logger.handlers, logger.propagate
    logger.handlers, logger.propagate = [handler], False
    yield handler
    logger.handlers, logger.propagate = saved


@dataclass
class Run:
    post: object
    exceptions: _Exceptions
    label: str
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    slowest: tuple[float, str] = (0.0, "")

    def fuzz(self, operation, mode: GenerationMode, examples: int) -> bool | None:
        """Run `examples` cases: True if every answer was a permission denial, None after a failure (recorded with
        the minimal document hypothesis shrank it to)."""
        outcome = {"denied": True}

        @hypothesis_settings(max_examples=examples, deadline=DEADLINE, derandomize=True, database=None,
                             phases=[Phase.generate, Phase.shrink], print_blob=False,
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            self.exceptions.seen.clear()
            sid = transaction.savepoint()
            started = time.monotonic()
            try:
                response = self.post(case.body)
            except Exception as exc:  # the test client re-raises what a view let escape (a 500 in production)
                outcome["last"] = (case.body, [f"HTTP 500: {type(exc).__qualname__}: {exc}"[:300]])
                raise
            finally:
                transaction.savepoint_rollback(sid)
                connection.set_schema_to_public()
            took = time.monotonic() - started
            self.requests += 1
            self.slowest = max(self.slowest, (took, operation.label))
            problems = server_errors(response)
            if problems:
                outcome["last"] = (case.body, problems + self.exceptions.seen)
                raise AssertionError(problems)
            outcome["denied"] = outcome["denied"] and denied(response)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - reported with the minimal failing document
            body, problems = outcome.get("last", ("(no document)", [repr(exc)]))
            self.failures.append(f"[{self.label}] {operation.label} ({mode.value}): {problems}\n{body}")
            return None
        return outcome["denied"]


# --- callers -----------------------------------------------------------------------------------------------------

def _poster(client: Client, host: str, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def post(query: str):
        return client.post("/graphql/", data=json.dumps({"query": query}), content_type="application/json",
                           HTTP_HOST=host, **headers)

    return post


def _signed_in(slug: str, username: str) -> Client:
    """A session (the test client skips CSRF, which tests/test_csrf.py covers)."""
    client = Client()
    with schema_context(slug):
        client.force_login(User.objects.get(username=username))
    return client


def _token(slug: str, who: str) -> str:
    with schema_context(slug):
        if who == "device token":
            window = Window.objects.get(code="W01")
            return register_device(window_id=window.pk, serial="DEV-FUZZ", name="模糊测试评价器").issued.secret
        if who == "evaluator token":
            from haochaping.assessments import services

            org = services.register_org(name="模糊测试评估机构", kind="RESEARCH", owner_tenant=None, by="测试")
            return services.grant_access(org_id=org.pk, tenant_slugs=["alpha", "beta"], period_start=date(2026, 1, 1),
                                         period_end=date(2026, 6, 30), expires_at=timezone.now() + timedelta(days=30),
                                         owner_tenant=None, by="测试").secret
        return issue_token(name="模糊测试", kind="SYSTEM", scopes=sorted(TOKEN_SCOPES)).secret


CALLERS = {
    "tenant": ("anonymous", "tenant_admin", "agency", "staff", "system token", "device token"),
    "platform": ("anonymous", "county_admin", "system token", "evaluator token"),
}


def poster_for(endpoint: str, who: str):
    slug = "alpha" if endpoint == "tenant" else "public"
    if who == "anonymous":
        post = _poster(Client(), host_of(slug))
    elif who.endswith("token"):
        post = _poster(Client(), host_of(slug), _token(slug, who))
    else:
        post = _poster(_signed_in(slug, who), host_of(slug))
    connection.set_schema_to_public()
    return post


@pytest.fixture(scope="module")
def apis():
    from schema.platform import schema as platform_schema
    from schema.tenant import schema as tenant_schema

    return {"tenant": load(tenant_schema), "platform": load(platform_schema)}


@pytest.mark.parametrize("endpoint, who", [(endpoint, who) for endpoint, callers in CALLERS.items() for who in callers])
def test_no_server_errors(apis, alpha, exceptions, endpoint, who):
    run = Run(poster_for(endpoint, who), exceptions, f"{endpoint}, {who}")
    started = time.monotonic()
    operations = [result.ok() for result in apis[endpoint].get_all_operations()]
    callable_ = 0
    for operation in operations:
        # One case first: an operation this caller may not call is refused before its arguments are used.
        if run.fuzz(operation, GenerationMode.POSITIVE, 1) is False:
            callable_ += 1
            run.fuzz(operation, GenerationMode.POSITIVE, POSITIVE)
        if who == "anonymous" and NEGATIVE:  # invalid documents fail validation, whoever sends them
            run.fuzz(operation, GenerationMode.NEGATIVE, NEGATIVE)
    print(f"\nschemathesis {endpoint} / {who}: {len(operations)} operations ({callable_} callable), "
          f"{run.requests} requests in {time.monotonic() - started:.1f} s, "
          f"slowest {run.slowest[0] * 1000:.0f} ms ({run.slowest[1]})")
    assert len(operations) > 40
    assert not run.failures, "\n\n".join(run.failures)
