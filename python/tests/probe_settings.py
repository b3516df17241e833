"""Settings for running the probe view's tests alone (tests/test_probe.py
sets what it needs on its classes):

    cd python && ../.venv/bin/python -m django test tests.test_probe --settings=tests.probe_settings
"""

SECRET_KEY = "djfront-probe-tests-only"
DEBUG = False
INSTALLED_APPS = []
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None
