"""Tests of djfront.snapstart, the hooks hostforward calls around a SnapStart
snapshot. The connection tests need PostgreSQL (DJFRONT_TEST_POSTGRES_URL,
set by go test ./python): SQLite ignores close() on an in-memory database.
Requests go through Django's test Client, so Django's per-request
connection handling runs as it does under gunicorn."""

import os
import random
import threading
import unittest
from unittest import mock

import snapshot_restore_py
from django.db import connections
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

from djfront import snapstart

from . import need

TOKEN = "t" * 64
urlpatterns = [path("djfront/", include("djfront.urls"))]
SETTINGS = {"ROOT_URLCONF": __name__, "MIDDLEWARE": [], "ALLOWED_HOSTS": ["testserver"]}


def post(phase, token=TOKEN):
    headers = {} if token is None else {"HTTP_X_DJFRONT_SNAPSTART_TOKEN": token}
    return Client().post(f"/djfront/snapstart/{phase}/", **headers)


class Registries(unittest.TestCase):
    """Saves snapshot_restore_py's registries and restores them after each test."""

    def setUp(self):
        before, after = snapshot_restore_py.get_before_snapshot(), snapshot_restore_py.get_after_restore()
        saved = list(before), list(after)

        def restore():
            before[:], after[:] = saved

        self.addCleanup(restore)
        env = mock.patch.dict(os.environ, {snapstart.TOKEN_ENV: TOKEN})
        env.start()
        self.addCleanup(env.stop)
        settings = override_settings(**SETTINGS)
        settings.enable()
        self.addCleanup(settings.disable)
        ran = mock.patch.object(snapstart, "_ran", set())  # a process that ran no hook
        ran.start()
        self.addCleanup(ran.stop)

    def snapshot_taken(self):
        """As after a before-snapshot hook: after-restore's turn."""
        snapstart._ran.add("before-snapshot")


class HookAccessTest(Registries):
    def test_statuses(self):
        cases = {
            "right token": ("before-snapshot", TOKEN, TOKEN, 200),
            "wrong token": ("before-snapshot", TOKEN, "x" * 64, 403),
            "no token sent": ("after-restore", TOKEN, None, 403),
            "no token set": ("before-snapshot", "", TOKEN, 404),
            "short token set": ("before-snapshot", "short", "short", 404),
            "unknown phase": ("during-snapshot", TOKEN, TOKEN, 404),
        }
        for name, (phase, configured, sent, want) in cases.items():
            with self.subTest(name), mock.patch.dict(os.environ, {snapstart.TOKEN_ENV: configured}):
                with mock.patch.object(snapstart, "close_all_connections", return_value=0):
                    got = post(phase, sent).status_code
                self.assertEqual(got, want)

    def test_get_is_refused(self):
        got = Client().get("/djfront/snapstart/before-snapshot/", HTTP_X_DJFRONT_SNAPSTART_TOKEN=TOKEN).status_code
        self.assertEqual(got, 405)


class OncePerCycleTest(Registries):
    """Each phase runs once in a process, after-restore only after
    before-snapshot: the snapshot's token cannot run them again."""

    def test_statuses(self):
        cases = {
            "after-restore before any snapshot": (["after-restore"], [409]),
            "before-snapshot twice": (["before-snapshot", "before-snapshot"], [200, 409]),
            "a cycle, then again": (
                ["before-snapshot", "after-restore", "before-snapshot", "after-restore"],
                [200, 200, 409, 409],
            ),
        }
        for name, (phases, want) in cases.items():
            with self.subTest(name), mock.patch.object(snapstart, "_ran", set()):
                with mock.patch.object(snapstart, "close_all_connections", return_value=0):
                    got = [post(phase).status_code for phase in phases]
                self.assertEqual(got, want)


class EarlyAnswerTest(Registries):
    """UpstreamVerifyMiddleware answers the hooks before the rest of
    MIDDLEWARE can redirect them, and whatever the URLconf (this one has no
    djfront.urls)."""

    def test_statuses(self):
        middleware = [
            "djfront.middleware.UpstreamVerifyMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
        ]
        settings = dict(
            MIDDLEWARE=middleware,
            ROOT_URLCONF="tests.urls",
            SECURE_SSL_REDIRECT=True,
            PREPEND_WWW=True,
            DJFRONT_UPSTREAM_SECRETS=["s" * 32],
        )
        cases = {
            "the hook": ({}, "/djfront/snapstart/before-snapshot/", "s" * 32, 200),
            "at hostforward's path": ({snapstart.PATH_ENV: "/hooks/"}, "/hooks/before-snapshot/", "s" * 32, 200),
            "elsewhere than hostforward's path": ({snapstart.PATH_ENV: "/hooks/"}, "/djfront/snapstart/before-snapshot/", "s" * 32, 301),
            "not from hostforward": ({}, "/djfront/snapstart/before-snapshot/", "x" * 32, 403),
            "no such phase": ({}, "/djfront/snapstart/during-snapshot/", "s" * 32, 301),
        }
        for name, (env, url, verify, want) in cases.items():
            with self.subTest(name), override_settings(**settings), mock.patch.dict(os.environ, env):
                with mock.patch.object(snapstart, "_ran", set()), mock.patch.object(snapstart, "close_all_connections", return_value=0):
                    got = Client().post(url, HTTP_X_DJFRONT_SNAPSTART_TOKEN=TOKEN, HTTP_X_UPSTREAM_VERIFY=verify)
                self.assertEqual(got.status_code, want, got.content)


class WorkerCountTest(unittest.TestCase):
    """worker_count counts the processes a server forked as this one: two
    children of one parent, neither of which exec'd, are two workers."""

    SCRIPT = """
import os, sys, time
from djfront import snapstart
r, w = os.pipe()
kids = []
for n in range(2):
    pid = os.fork()
    if pid == 0:
        if n == 0:
            time.sleep(0.5)  # both are alive
            os.write(w, str(snapstart.worker_count()).encode())
        else:
            time.sleep(2)
        os._exit(0)
    kids.append(pid)
print(os.read(r, 16).decode(), snapstart.worker_count())
for pid in kids:
    os.kill(pid, 9)
"""

    def test_forked_workers(self):
        import subprocess
        import sys

        env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings")
        out = subprocess.run([sys.executable, "-c", self.SCRIPT], capture_output=True, text=True, env=env, check=True)
        # A forked worker sees two; the parent (its own parent's only child
        # of its kind) one.
        self.assertEqual(out.stdout.split(), ["2", "1"], out.stderr)

    def test_more_than_one_refused(self):
        with mock.patch.object(snapstart, "worker_count", return_value=2):
            with self.assertRaisesRegex(RuntimeError, r"2 workers serve the app.*gunicorn --workers 1"):
                snapstart.before_snapshot()


class UserHooksTest(Registries):
    def test_order_as_the_managed_runtime(self):
        ran = []
        for n in (1, 2):
            snapshot_restore_py.register_before_snapshot(ran.append, f"before {n}")
            snapshot_restore_py.register_after_restore(ran.append, f"after {n}")
        with mock.patch.object(snapstart, "close_all_connections", return_value=0):
            self.assertEqual(post("before-snapshot").status_code, 200)
        self.assertEqual(post("after-restore").status_code, 200)
        self.assertEqual(ran, ["before 2", "before 1", "after 1", "after 2"])

    def test_a_failing_hook_answers_500_with_its_error(self):
        @snapshot_restore_py.register_after_restore
        def broken():
            raise RuntimeError("no credentials")

        self.snapshot_taken()

        with self.assertLogs("djfront.snapstart", "ERROR"):
            resp = post("after-restore")
        self.assertEqual(resp.status_code, 500)
        self.assertEqual(resp.json()["error"], "RuntimeError: no credentials")

    def test_after_restore_reseeds_random(self):
        random.seed(1)
        snapshot = random.random()
        random.seed(1)  # every restored copy starts from the snapshot's state
        self.snapshot_taken()
        self.assertEqual(post("after-restore").status_code, 200)
        self.assertNotEqual(random.random(), snapshot)


class ConnectionsTest(Registries):
    ALIAS = "postgres"

    def setUp(self):
        need.variable("DJFRONT_TEST_POSTGRES_URL", "go test ./python starts PostgreSQL and sets it (tests/settings.py)")
        super().setUp()

    def test_closes_every_threads_connection(self):
        opened = {}

        def open_one():  # as a gunicorn thread with a persistent connection would
            wrapper = connections[self.ALIAS]
            wrapper.ensure_connection()
            opened["wrapper"], opened["pid"] = wrapper, wrapper.connection.info.backend_pid

        worker = threading.Thread(target=open_one)
        worker.start()
        worker.join()
        resp = post("before-snapshot")
        self.assertEqual(resp.status_code, 200)
        self.assertIsNone(opened["wrapper"].connection)
        self.assertGreaterEqual(resp.json()["connections_closed"], 1)
        with connections[self.ALIAS].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [opened["pid"]])
            self.assertEqual(cursor.fetchone()[0], 0)
        connections[self.ALIAS].close()
