"""A service's migrations in miniature, for the delivery tests: one effect table a handler writes."""
