"""LAPOR! routing: the responsible agency for every complaint, visible at every jurisdiction level."""
