"""Email: the typed contexts, composing each notice, the outbox and MIME."""
