"""Commands around the pipeline: check, info, preview, watch, the daemon, the flatplan, new folders."""
