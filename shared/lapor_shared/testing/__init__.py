"""Test support shared by every service's tests (never imported by a running service): factories of valid
sample events, fixtures and infrastructure, a clock the test moves, the service harness on the in-memory
broker, real SMTP and HTTP sinks, and the services as processes for end-to-end runs."""
