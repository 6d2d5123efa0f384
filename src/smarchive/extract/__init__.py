"""The extract stage: the items of a kept WARC, read back without fetching anything again.

`reader` runs an adapter's extraction over the recorded responses, stores the media the items show from the
recorded bytes, and reports answers it could not read. It imports `smarchive.platforms` and
`smarchive.archive`.
"""
