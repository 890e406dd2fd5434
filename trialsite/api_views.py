"""Project-level API endpoints (exports, audit trail, data dictionary, tokens)."""


def register(router) -> list:
    return []
