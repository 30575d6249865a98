"""Everything that is not UI: configuration, store, scheduling, delivery, chat, auth, webhook."""
