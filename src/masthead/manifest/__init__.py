"""Stage 1, load: issue.yaml → a validated Manifest, every error with its line and column."""
