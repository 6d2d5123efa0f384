"""A local imitation of the social media platforms, served on 127.0.0.1.

The real platforms cannot be reached from the archive's machines (and must not be hammered by
tests), so the capture is developed and tested against this sandbox. It imitates what makes a
real capture hard: consent walls, infinite scroll fed by background GraphQL, collapsed comment
threads, relative times in the page and exact data only in JSON.

Modules: `launch` (the one seam the pipeline and the command use: start, credentials, settings checked
against `SandboxConfig`), `content` (the deterministic world), `truth` (what a perfect capture must
find), `server` (the HTTP server), `web` (request/response helpers, sessions, faults), `platforms` (the
table of imitations, keyed by `smarchive.model.PLATFORMS`) and one module per imitated platform. It
imports only the bottom layer (`smarchive.model`, `smarchive.errors`): the sandbox knows nothing of the
archive it is captured into.
"""
