"""Settings for the API throughput benchmark: the application's own settings, with a URL map
that adds one bare view (bench.bare_urls), so both are served by the same server, middleware
and database settings."""

from fugong.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
