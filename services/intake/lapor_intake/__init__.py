"""LAPOR! intake: every channel in, one well-formed complaint out, with a tracking number."""
