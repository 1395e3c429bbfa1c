"""Stage 2, read: each article's file → clean XHTML, its metadata and its assets."""
