"""Test helpers shared by every service's tests: factories of valid sample events (and fixtures)."""
