"""Stage 4, lay out: the print edition's pages (WeasyPrint, in chunks), EPUB page marks, and splitting."""
