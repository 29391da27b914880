"""Schema construction shared by the platform and tenant schemas: limits, masking, the optimizer."""
import datetime

import strawberry
from django.conf import settings
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.file_uploads import Upload
from strawberry.schema.config import StrawberryConfig
from strawberry.types.base import StrawberryObjectDefinition
from strawberry_django.optimizer import DjangoOptimizerExtension

from .inputs import DateTimeScalar, RejectNulCharacters, UploadScalar
from .limits import RequestLimits

SAFE_MESSAGE_PREFIXES = ("Argument 'first'", "Argument 'last'", "Argument 'offset'")
# What a caller sees instead of an unexpected exception (tests/security/test_schemathesis.py looks for it).
MASKED_ERROR_MESSAGE = "服务器内部错误 / Internal server error"


def _should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions (no stack traces or SQL); keep GraphQL's own and our typed errors."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not str(original).startswith(SAFE_MESSAGE_PREFIXES)


def build_schema(query: type, mutation: type | None, subscription: type | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        config=StrawberryConfig(relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE),
        # An Upload that is not a file and a DateTime out of range are typed errors (schema/core/inputs.py).
        scalar_overrides={Upload: UploadScalar, datetime.datetime: DateTimeScalar},
        # Factories, so each request gets fresh extension state.
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=30),
            lambda: MaxTokensLimiter(max_token_count=2000),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            # Introspection for authenticated callers only (outside development), operation count, query cost.
            RequestLimits,
            RejectNulCharacters,  # a NUL in any string input: INVALID_CHARACTER (PostgreSQL cannot store it)
            lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED_ERROR_MESSAGE),
            DjangoOptimizerExtension,
        ],
    )


def root_fields(schema: strawberry.Schema):
    """(operation, field) for every root query, mutation and subscription field: used by the permission walk."""
    for operation, root in (("query", schema.query), ("mutation", schema.mutation), ("subscription", schema.subscription)):
        if root is None:
            continue
        definition: StrawberryObjectDefinition = root.__strawberry_definition__
        for field in definition.fields:
            yield operation, field
