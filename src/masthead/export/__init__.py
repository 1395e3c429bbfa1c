"""Exporters: a RenderedIssue → the bytes of one output format. They never read the issue's
files, YAML or templates, and never write files (the build stage writes, atomically)."""
