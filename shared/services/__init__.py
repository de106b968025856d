"""Use cases called by both edges. Each takes the caller's session (one unit of work) and
never commits: ``with db.unit_of_work() as session: services.x(session, ...)``."""
