pytest_plugins = ["lapor_shared.testing.fixtures"]
