"""A publication's catalogue: what lists its issues, for readers, feed readers and reading apps.

Pure functions, records in and bytes out: :mod:`.records` makes an :class:`~.records.IssueListing`
of each built issue (from the model's :class:`~masthead.model.issue.Issue` and the paths of its
outputs), :mod:`.site` makes the catalogue's files from the listings: the archive site, OPDS 1.2
and 2.0 catalogues, an Atom feed and a Readium Web Publication manifest for each web edition.
Nothing here reads or writes a file; the catalogue build (the caller) does.
"""
