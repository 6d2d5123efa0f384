"""Retention under the culling decision (handlings-id 1748): tag, register, cull.

The engine (`tag`, with `detectors` and `lexicon`) gives every item a category, a retention, actions and
access, always with rule ids and evidence. `register` makes the registry worklist (diarieföring); `cull`
carries out a gallring as a typed `Plan` and an ordered chain of steps (with `redact` deciding what of
a payload belongs to a culled item and `gallring` writing the gallringsdokument). It imports
`smarchive.archive` for the files it reads and rewrites (the WARC record surgery is `archive.rewrite`),
never the capture: the browser that re-renders screenshots is passed in.
"""
