"""masthead: compile a magazine issue folder into EPUB 3, KEPUB, a print-ready PDF and a web edition.

The pipeline lives in :mod:`masthead.pipeline`; read :class:`masthead.pipeline.Pipeline` first,
then docs/architecture.md for the stages' packages and where formats, readers and keys plug in.
"""

__version__ = "0.1.0"
