"""Every test runs in development mode, explicitly: the built-in development secrets and demo accounts
that production refuses (``ServiceSettings.development_values``) are what the tests use. A test of the
production refusal says ``environment="production"`` itself."""

import os

os.environ["LAPOR_ENVIRONMENT"] = "development"

pytest_plugins = ["lapor_shared.testing.fixtures"]
