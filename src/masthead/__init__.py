"""masthead: compile a magazine issue folder into a valid EPUB 3 and a print-ready PDF.

The pipeline lives in :mod:`masthead.build`; read :func:`masthead.build.build` first.
"""

__version__ = "0.1.0"
