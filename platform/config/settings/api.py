from .env import env_bool, env_int

# GraphiQL and introspection: open in development; elsewhere only for a signed-in user or an API token
# (schema/core/limits.py). GRAPHIQL_ENABLED=0 turns the IDE off for everyone.
GRAPHIQL_ENABLED = env_bool("GRAPHIQL_ENABLED", True)
GRAPHQL_MAX_PAGE_SIZE = env_int("GRAPHQL_MAX_PAGE_SIZE", 100)
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 10)
# Operations per document (batched requests are not enabled at all) and the estimated cost: fields × page sizes.
GRAPHQL_MAX_OPERATIONS = env_int("GRAPHQL_MAX_OPERATIONS", 5)
GRAPHQL_MAX_COST = env_int("GRAPHQL_MAX_COST", 50000)
# JSON bodies on /graphql/ (multipart uploads keep GRAPHQL_MAX_UPLOAD_BYTES and DATA_UPLOAD_MAX_MEMORY_SIZE).
GRAPHQL_MAX_BODY_BYTES = env_int("GRAPHQL_MAX_BODY_BYTES", 1024 * 1024)
# A whole multipart request, by its declared length: above the largest per-kind limit (catalog import, 20 MiB) and
# equal to nginx's client_max_body_size for /graphql/ (infra/nginx).
GRAPHQL_MAX_UPLOAD_BYTES = env_int("GRAPHQL_MAX_UPLOAD_BYTES", 21 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 12 * 1024 * 1024)

STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "MUTATIONS_DEFAULT_HANDLE_ERRORS": False,
    "PAGINATION_DEFAULT_LIMIT": GRAPHQL_MAX_PAGE_SIZE,
}
