"""Stage 5, export: a RenderedIssue → the bytes of each output format (formats.py is the
registry). Exporters never read the issue's files, YAML or templates, and never write files
(the write stage does, atomically: runtime/writes.py)."""
