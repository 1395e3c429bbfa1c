"""``python -m masthead`` is the ``masthead`` command."""

from masthead.entry import run

if __name__ == "__main__":  # not when a worker process imports the main module
    run()
