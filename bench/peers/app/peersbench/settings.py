"""The example project's settings with the bench's URLs (the example's plus bench/blob/)."""
from demo.settings import *  # noqa: F401,F403

ROOT_URLCONF = "peersbench.urls"
