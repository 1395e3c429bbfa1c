"""``python -m masthead`` is the ``masthead`` command."""

from masthead.cli import main

main()
