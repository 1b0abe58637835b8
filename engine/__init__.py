"""juntos-bpm engine: the organisation, the workflow runtime and the programme's domains.

Rule of this package: it never imports Flask or ``web``. Everything here runs from a
plain Python call, a Celery task or the ``juntos`` CLI, with a SQLAlchemy session
handed in by the caller.
"""
