"""What a test module needs from outside: a variable go test ./python sets,
or an installed module. Without it the tests skip, or, with CI set, fail
(a test never passes by skipping in CI)."""

import importlib
import os
import unittest


def _missing(message):
    if os.environ.get("CI"):
        raise RuntimeError(message)
    raise unittest.SkipTest(message)


def variable(name, provider):
    """Return os.environ[name]; provider says who sets it."""
    value = os.environ.get(name, "")
    if not value:
        _missing(f"{name} is unset: {provider}")
    return value


def module(name, install):
    """Import and return the module name; install says how to get it."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        _missing(f"{err}: {install}")
