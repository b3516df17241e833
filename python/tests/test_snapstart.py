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

        with self.assertLogs("djfront.snapstart", "ERROR"):
            resp = post("after-restore")
        self.assertEqual(resp.status_code, 500)
        self.assertEqual(resp.json()["error"], "RuntimeError: no credentials")

    def test_after_restore_reseeds_random(self):
        random.seed(1)
        snapshot = random.random()
        random.seed(1)  # every restored copy starts from the snapshot's state
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
