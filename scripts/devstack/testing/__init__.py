"""Test kit for the dev stack: a pytest plugin (fixtures over the live stack) and the stack runner under it."""
