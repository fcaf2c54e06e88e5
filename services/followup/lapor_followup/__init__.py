"""LAPOR! followup: each routed complaint's life against deadlines on the Indonesian working-day calendar."""
