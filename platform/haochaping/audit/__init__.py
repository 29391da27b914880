"""Append-only audit trail of privileged actions (token issue/revoke, tenant creation, evaluator grants)."""
