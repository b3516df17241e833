"""Run a transaction again when the database reports a conflict.

Aurora DSQL uses optimistic concurrency control: two transactions that
change the same rows both run, and the one that commits second fails at
COMMIT with SQLSTATE 40001 (serialization_failure; the message names the
conflict, OC000 for data, OC001 for the schema). The failed transaction has
been rolled back entirely, so the answer is to run it again, shortly after. PostgreSQL does the same at the
REPEATABLE READ and SERIALIZABLE isolation levels.

retry_on_conflict runs a function in transaction.atomic() and runs it again
on a conflict: at most `attempts` times in all, waiting a random 0 to
5 ms * 2**n (at most 200 ms) before run n + 1. Only the outermost atomic
block can be run again; inside another one it runs once and the conflict
goes up to the block that encloses it. ConflictRetryMiddleware
(djfront.middleware) does this for every view.

What a retried function does besides the database (mail, an S3 upload, a
call to another service) happens once per run: keep such work out of it, or
use transaction.on_commit(), which runs only after the run that commits.

https://docs.aws.amazon.com/aurora-dsql/latest/userguide/working-with-concurrency-control.html
https://www.postgresql.org/docs/current/mvcc-serialization-failure-handling.html
"""

import functools
import logging
import random
import time

from django.db import DEFAULT_DB_ALIAS, connections, transaction

# SQLSTATEs of a transaction that lost to a concurrent one and may be run
# again: serialization_failure, and DSQL's conflict codes, which its
# connector (aurora-dsql-python-connector's is_occ_error) accepts as
# SQLSTATEs too.
CONFLICTS = frozenset({"40001", "OC000", "OC001"})
ATTEMPTS = 4
_FIRST_WAIT = 0.005  # seconds
_MAX_WAIT = 0.2

logger = logging.getLogger("djfront.transaction")


def is_conflict(error):
    """Report whether error, or an exception it was raised from, carries a
    conflict SQLSTATE (CONFLICTS). Django raises its own DatabaseError
    subclasses from the driver's error, which holds the SQLSTATE (psycopg's
    sqlstate, psycopg2's pgcode)."""
    seen = 0
    while error is not None and seen < 8:
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if code in CONFLICTS:
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def retry_on_conflict(func=None, *, attempts=ATTEMPTS, using=None):
    """Decorate func to run in transaction.atomic(using) and to run again,
    up to attempts times in all, when it fails with a conflict (is_conflict).

    Use it bare (@retry_on_conflict) or with arguments
    (@retry_on_conflict(attempts=6, using="default")). The last conflict,
    and any other error at once, is raised to the caller. Called inside an
    atomic block, func runs once: only the outermost block can be re-run.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")

    def decorate(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            alias = using or DEFAULT_DB_ALIAS
            outermost = not connections[alias].in_atomic_block
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic(using=alias):
                        return func(*args, **kwargs)
                except Exception as err:
                    if not (outermost and attempt < attempts and is_conflict(err)):
                        raise
                    wait = random.uniform(0, min(_MAX_WAIT, _FIRST_WAIT * 2**attempt))
                    logger.info(
                        "conflict, running %s again", getattr(func, "__qualname__", type(func).__qualname__),
                        extra={"attempt": attempt, "wait_ms": round(wait * 1000, 1)},
                    )
                    time.sleep(wait)
            raise AssertionError("unreachable")

        return run

    return decorate if func is None else decorate(func)
