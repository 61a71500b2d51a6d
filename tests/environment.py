"""Environment for the test suite, loaded as a pytest plugin (`-p tests.environment` in
pyproject.toml) so that it runs before pytest-django reads the settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DEBUG", "0")
