"""The archive: what a run leaves behind and everything that reads it back.

WARC files (`warc`), WACZ packages (`wacz`), media storage by SHA-256 (`store` for a local folder,
`s3store` for S3), the Parquet manifest (`manifest`), DuckDB views over it (`query`) and the fixity check
(`verify`). It knows files and tables, not platforms, browsers or rules: it imports only
`smarchive.model`, `smarchive.errors` and `smarchive.resources`.
"""
