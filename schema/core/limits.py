"""Per-request limits checked after validation and before execution, where the caller and the variables are known:
introspection only for authenticated callers outside development, an operation count per document, and an estimated
query cost (fields × requested page sizes). Each refusal is a typed error with a stable code; nothing executes.

These run per request (not as validation rules) because strawberry's ValidationCache caches validation results by
document, and the introspection answer depends on who asks and the cost on the variables."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from graphql import (FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, OperationDefinitionNode,
                     get_named_type, get_nullable_type, is_list_type)
from graphql.execution import ExecutionResult
from graphql.utilities import get_operation_ast, value_from_ast_untyped
from strawberry.extensions import SchemaExtension

INTROSPECTION_FIELDS = {"__schema", "__type"}
PAGE_ARGUMENTS = ("first", "last", "limit")
# A list field without a page argument (e.g. a window's items): assume this many rows.
UNPAGED_LIST_SIZE = 20


def refusal(code: str, message: str, message_en: str, **extra) -> GraphQLError:
    return GraphQLError(f"{message} / {message_en}", extensions={"code": code, **extra})


def introspection_allowed(principal) -> bool:
    """Open in development; elsewhere only a signed-in user or a valid API token of this schema."""
    if settings.ENVIRONMENT == "development":
        return True
    return principal is not None and not principal.is_anonymous


def _principal(context):
    # HTTP: strawberry's Django context; websockets: a dict whose request is the consumer.
    request = context.get("request") if isinstance(context, dict) else getattr(context, "request", None)
    return getattr(request, "principal", None)


def _selections(selection_set, fragments, seen=()):
    """Fields of a selection set with fragments flattened (each fragment at most once per path)."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _selections(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                yield from _selections(fragments[name].selection_set, fragments, (*seen, name))


def uses_introspection(document) -> bool:
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}

    def walk(selection_set) -> bool:
        return any(field.name.value in INTROSPECTION_FIELDS or walk(field.selection_set)
                   for field in _selections(selection_set, fragments))

    return any(walk(d.selection_set) for d in document.definitions if isinstance(d, OperationDefinitionNode))


@dataclass
class _CostWalk:
    schema: object  # graphql-core GraphQLSchema
    fragments: dict
    variables: dict

    def page_size(self, node: FieldNode, definition) -> int | None:
        """The requested page size: a literal or variable argument, else the argument's default, else None."""
        given = {arg.name.value: arg.value for arg in node.arguments or ()}
        for name in PAGE_ARGUMENTS:
            if name in given:
                value = value_from_ast_untyped(given[name], self.variables)
                if isinstance(value, int):
                    return max(value, 0)
            elif definition is not None and name in definition.args:
                default = definition.args[name].default_value
                if isinstance(default, int):
                    return default
        pagination = given.get("pagination")
        if pagination is not None:
            value = value_from_ast_untyped(pagination, self.variables)
            if isinstance(value, dict) and isinstance(value.get("limit"), int):
                return max(value["limit"], 0)
        return None

    def cost(self, selection_set, parent_type, factor: int) -> int:
        total = 0
        for node in _selections(selection_set, self.fragments):
            name = node.name.value
            if name == "__typename":
                continue
            fields = getattr(parent_type, "fields", None) or {}
            definition = fields.get(name)
            total += factor
            if node.selection_set is None:
                continue
            if definition is None:  # introspection meta-fields: count each field once per parent
                total += self.cost(node.selection_set, None, factor)
                continue
            return_type = get_nullable_type(definition.type)
            named = get_named_type(return_type)
            multiplier = 1
            if named.name.endswith("Connection"):
                size = self.page_size(node, definition)
                multiplier = settings.GRAPHQL_MAX_PAGE_SIZE if size is None else size
            elif is_list_type(return_type) and not getattr(parent_type, "name", "").endswith("Connection"):
                size = self.page_size(node, definition)
                multiplier = UNPAGED_LIST_SIZE if size is None else size
            total += self.cost(node.selection_set, named, factor * max(multiplier, 1))
        return total


def query_cost(schema, document, operation_name: str | None, variables: dict | None) -> int:
    """Estimated resolved fields: each field counts once per row its enclosing lists may return."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = {"query": schema.query_type, "mutation": schema.mutation_type,
            "subscription": schema.subscription_type}[operation.operation.value]
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    return _CostWalk(schema, fragments, variables or {}).cost(operation.selection_set, root, 1)


class RequestLimits(SchemaExtension):
    def on_execute(self):
        context = self.execution_context
        error = self._refusal(context) if context.graphql_document is not None else None
        if error is not None:
            context.result = ExecutionResult(data=None, errors=[error])  # strawberry then skips execution
        yield

    def _refusal(self, context) -> GraphQLError | None:
        document = context.graphql_document
        operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        if operations > settings.GRAPHQL_MAX_OPERATIONS:
            return refusal("TOO_MANY_OPERATIONS", f"一个请求最多包含{settings.GRAPHQL_MAX_OPERATIONS}个操作",
                           f"A request may contain at most {settings.GRAPHQL_MAX_OPERATIONS} operations",
                           operations=operations, maxOperations=settings.GRAPHQL_MAX_OPERATIONS)
        if uses_introspection(document) and not introspection_allowed(_principal(context.context)):
            return refusal("INTROSPECTION_DISABLED", "请先登录或使用 API 令牌再查询接口结构",
                           "Schema introspection needs a signed-in user or an API token")
        cost = query_cost(context.schema._schema, document, context.operation_name, context.variables)
        if cost > settings.GRAPHQL_MAX_COST:
            return refusal("QUERY_TOO_COSTLY", f"查询过于复杂（估算成本{cost}，上限{settings.GRAPHQL_MAX_COST}），请减少字段或分页大小",
                           f"The query is too costly (estimated {cost}, limit {settings.GRAPHQL_MAX_COST}); "
                           "request fewer fields or smaller pages", cost=cost, maxCost=settings.GRAPHQL_MAX_COST)
        return None
