"""GraphQL only: one folder per domain (types, queries, mutations, inputs), assembled into the platform
schema (public host) and the tenant schema (tenant hosts)."""
