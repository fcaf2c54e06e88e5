"""Migrations whose second file fails: the run must leave nothing behind."""
