"""Reference channel adapters: HTTP API and web form, Open311 GeoReport v2, SMS 1708 webhook, and the
call-centre CSV import.

They run inside the intake process but talk to intake exactly as an outside adapter would: they
publish ``complaint.submitted`` on ``lapor.submissions`` and learn the outcome from
``lapor.submissions.results``. They never call intake's use cases. ``lapor_intake.adapters.mount``
wires them into the runtime; this package imports nothing heavy so that settings can import it.
"""
