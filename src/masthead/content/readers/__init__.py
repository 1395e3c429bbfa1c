"""Input formats: one Reader per kind of article file (see masthead.content.readers.registry)."""
