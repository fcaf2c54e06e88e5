"""LAPOR! notify: the right person told once, on their channel, in their language."""
