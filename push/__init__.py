"""Web push (issue 6): the outbox written with each change, and the sender that drains it."""
