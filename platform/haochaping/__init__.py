"""The 好差评 domain: one subpackage per domain, each with models, services (writes), selectors (reads),
permissions and errors. GraphQL, websockets and pages call into it; it never imports them."""
