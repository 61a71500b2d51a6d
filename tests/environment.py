"""Environment for the test suite, loaded as a pytest plugin (`-p tests.environment` in
pyproject.toml) so that it runs before pytest-django reads the settings."""

import os

# Long enough for the strength check of core/settings.py (DEBUG is off in the tests).
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "k3y-for-the-test-suite-alone" * 2)
os.environ.setdefault("DEBUG", "0")
# The live server's threads serve the browser tests; a connection each of them kept open for a
# minute would outlive the test database (PostgreSQL refuses to drop a database in use).
os.environ.setdefault("CONN_MAX_AGE", "0")
