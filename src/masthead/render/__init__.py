"""Stage 3, render: the issue → complete XHTML documents and their resources. The only place Jinja runs."""
