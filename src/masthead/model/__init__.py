"""The records that flow one way through the pipeline: the issue as read, and the documents rendered from it."""
