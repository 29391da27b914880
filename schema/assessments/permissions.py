"""Who is a third-party evaluator: a public-schema EVALUATOR token with the scope. The grant (tenants, period,
expiry, revocation) is checked in the domain, so a refusal is logged and returned as a typed error."""
from schema.core.context import principal
from schema.core.permissions import _Permission, allow


class IsEvaluator(_Permission):
    def __init__(self, scope: str):
        self.scope = scope
        self.description = f"evaluator:{scope}"

    def has_permission(self, source, info, **kwargs) -> bool:
        token = principal(info).token
        return bool(token and token.kind == "EVALUATOR" and token.has_scope(self.scope))


def evaluator_reader():
    return allow(IsEvaluator("read"))


def evaluator_writer():
    return allow(IsEvaluator("assessments:write"))
