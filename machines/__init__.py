"""Machine controllers: unlock for a session, lock with a reason, report state and usage."""
