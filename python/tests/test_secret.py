"""Tests of djfront.settings.secret against moto's Secrets Manager.

go test ./python starts moto and passes its endpoint as AWS_ENDPOINT_URL
(python/django_test.go); run by hand, start one (.venv/bin/python -m moto.server) and
set AWS_ENDPOINT_URL, or the tests skip (with CI set they fail instead).
"""

import os
import traceback
import unittest

import boto3
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJFRONT_HOSTS", "import.example.com")  # the import computes settings
from djfront import settings as djfront_settings  # noqa: E402
from djfront.settings import secret  # noqa: E402

from . import need  # noqa: E402

REGION = "us-east-1"
VALUE = "postgres://app:p%40ss@db.example.com:5432/app"


class SecretTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.endpoint = need.variable("AWS_ENDPOINT_URL", "go test ./python starts moto and sets it")
        client = boto3.client("secretsmanager", region_name=REGION, endpoint_url=cls.endpoint)
        cls.arn = client.create_secret(Name="djfront-test-database-url", SecretString=VALUE)["ARN"]
        cls.binary = client.create_secret(Name="djfront-test-binary", SecretBinary=b"\x00\x01")["ARN"]
        cls.client = client
        cls.missing = cls.arn.rsplit(":", 1)[0] + ":djfront-test-never-created-AbCdEf"

    def environ(self, **extra):
        # The endpoint and region the way a deployment (or sam/env.json) sets them.
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": REGION, **extra}

    def test_values(self):
        cases = [
            {"name": "unset", "env": {}, "want": None},
            {"name": "plain value", "env": {"DATABASE_URL": "sqlite:////tmp/db.sqlite3"},
             "want": "sqlite:////tmp/db.sqlite3"},
            {"name": "by ARN", "env": {"DATABASE_URL_SECRET_ARN": self.arn}, "want": VALUE},
            {"name": "by ARN, empty plain value", "env": {"DATABASE_URL_SECRET_ARN": self.arn, "DATABASE_URL": ""},
             "want": VALUE},
            {"name": "empty ARN falls back", "env": {"DATABASE_URL_SECRET_ARN": " ", "DATABASE_URL": "x"},
             "want": "x"},
            {"name": "service endpoint wins", "env": {
                "DATABASE_URL_SECRET_ARN": self.arn, "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.endpoint}, "want": VALUE},
        ]
        for case in cases:
            with self.subTest(case["name"]):
                got = secret("DATABASE_URL", self.environ(**case["env"]))
                self.assertEqual(got, case["want"])

    def test_errors(self):
        cases = [
            {"name": "both set", "env": {"DATABASE_URL_SECRET_ARN": self.arn, "DATABASE_URL": "sqlite:///x"},
             "want": "DATABASE_URL_SECRET_ARN: set it or DATABASE_URL, not both"},
            {"name": "a value, not an ARN", "env": {"DATABASE_URL_SECRET_ARN": VALUE},
             "want": "DATABASE_URL_SECRET_ARN: not a Secrets Manager secret ARN"},
            {"name": "no such secret", "env": {"DATABASE_URL_SECRET_ARN": self.missing},
             "want": f"DATABASE_URL_SECRET_ARN: cannot read secret {self.missing}: ResourceNotFoundException"},
            {"name": "binary secret", "env": {"DATABASE_URL_SECRET_ARN": self.binary},
             "want": f"DATABASE_URL_SECRET_ARN: secret {self.binary} has no SecretString"},
            {"name": "endpoint down", "env": {"DATABASE_URL_SECRET_ARN": self.arn},
             # A client of its own, to try once instead of retrying for seconds.
             "client": boto3.client("secretsmanager", region_name=REGION, endpoint_url="http://127.0.0.1:9",
                                    config=Config(retries={"max_attempts": 1, "mode": "standard"})),
             "want": f"DATABASE_URL_SECRET_ARN: cannot read secret {self.arn}: EndpointConnectionError"},
        ]
        for case in cases:
            with self.subTest(case["name"]):
                with self.assertRaises(ImproperlyConfigured) as raised:
                    secret("DATABASE_URL", self.environ(**case["env"]), client=case.get("client"))
                message = str(raised.exception)
                self.assertTrue(message.startswith(case["want"]), f"got {message!r}, want it to start {case['want']!r}")
                # Never the value, not even in a chained exception's traceback.
                shown = "".join(traceback.format_exception(raised.exception))
                self.assertNotIn("p%40ss", shown)

    def test_upstream_secrets_by_arn(self):
        # from_environ reads DJFRONT_UPSTREAM_SECRETS_SECRET_ARN (the
        # template's in-function mode): the secret hostforward sends whole,
        # and re-reads, so its AWSPENDING and AWSPREVIOUS values count too.
        arn = self.client.create_secret(Name="djfront-test-upstream", SecretString="cred-1,with-a-comma")["ARN"]
        env = self.environ(DJFRONT_HOSTS="www.example.com", DJFRONT_UPSTREAM_SECRETS_SECRET_ARN=arn)
        token = "44444444-4444-4444-8444-444444444444"
        steps = [
            ("created", lambda: None, ["cred-1,with-a-comma"]),
            ("new value staged", lambda: self.client.put_secret_value(
                SecretId=arn, ClientRequestToken=token, SecretString="cred-2", VersionStages=["AWSPENDING"]),
             ["cred-1,with-a-comma", "cred-2"]),
            ("new value current", lambda: self.promote(arn, token), ["cred-2", "cred-1,with-a-comma"]),
        ]
        for name, act, want in steps:
            with self.subTest(name):
                act()
                got = djfront_settings.from_environ(env)["DJFRONT_UPSTREAM_SECRETS"]
                self.assertEqual(got, want)

    def test_database_password_by_arn(self):
        # The template's aurora-serverless database: the URL without its
        # password, which is in RDS's managed secret (JSON), by ARN.
        rds = '{"username": "djfront", "password": "{p@ss\\"w"}'
        cases = [
            ("RDS's JSON secret", rds, '{p@ss"w', None),
            ("a plain secret starting with a brace", "{plain", None,
             'DATABASE_PASSWORD_SECRET_ARN: the secret is JSON without a "password" string'),
            ("JSON without a password", '{"username": "djfront"}', None,
             'DATABASE_PASSWORD_SECRET_ARN: the secret is JSON without a "password" string'),
            ("a plain secret", "p@ss word", "p@ss word", None),
        ]
        for i, (name, value, want, error) in enumerate(cases):
            with self.subTest(name):
                arn = self.client.create_secret(Name=f"djfront-test-db-password-{i}", SecretString=value)["ARN"]
                env = self.environ(DATABASE_URL="postgres://djfront@db.example.com:5432/djfront?sslmode=require",
                                   DATABASE_PASSWORD_SECRET_ARN=arn)
                if error:
                    with self.assertRaises(ImproperlyConfigured) as raised:
                        djfront_settings.database(env)
                    self.assertEqual(str(raised.exception), error)
                    continue
                got = djfront_settings.database(env)
                self.assertEqual((got["USER"], got["PASSWORD"], got["HOST"]), ("djfront", want, "db.example.com"))

    def promote(self, arn, token):
        stages = self.client.describe_secret(SecretId=arn)["VersionIdsToStages"]
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        self.client.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
        self.client.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=token)

    def test_os_environ_default(self):
        # As at settings import: the process environment (AWS_ENDPOINT_URL,
        # the region and credentials set by go test).
        os.environ["DJANGO_SECRET_KEY_SECRET_ARN"] = self.arn
        try:
            self.assertEqual(secret("DJANGO_SECRET_KEY"), VALUE)
        finally:
            del os.environ["DJANGO_SECRET_KEY_SECRET_ARN"]
