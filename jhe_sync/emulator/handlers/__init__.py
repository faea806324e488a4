"""Endpoint handlers, one module per resource. Each takes a ``Ctx`` and returns a Response."""
