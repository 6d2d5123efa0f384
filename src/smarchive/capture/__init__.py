"""The capture stage: a real Chromium, driven by a platform adapter, recorded by warcprox into a WARC.

`browser` launches Debian's Chromium the way this machine needs it, `recorder` runs the recording proxy,
`journal` lets a killed run resume (run journal and page journal), `login` keeps the logged-in browser
states, `account` captures one account (DOM snapshots, screenshots, the account's WARC), and `render`
draws a redacted snapshot again offline (handed to culling by the command). It imports the adapters
(`smarchive.platforms`) and the WARC layer (`smarchive.archive`), never its siblings extract, retention
or sandbox, nor the pipeline above it.
"""
