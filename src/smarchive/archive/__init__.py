"""The archive: what a run leaves behind and everything that reads it back.

WARC files (`warc`), rewriting records of a kept WARC in place (`rewrite`, for culling), WACZ packages
(`wacz`), media storage by SHA-256 (`store` for a local folder, `s3store` for S3), the Parquet manifest
(`manifest`), DuckDB views over it (`query`) and the fixity check (`verify`). It knows files and tables,
not browsers or rules: it may import the layers below it (`smarchive.model`, `smarchive.errors`,
`smarchive.config`, `smarchive.platforms`), never a stage (docs/architecture.md, enforced by
tests/test_architecture.py).
"""
