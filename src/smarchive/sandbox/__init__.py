"""A local imitation of the social media platforms, served on 127.0.0.1.

The real platforms cannot be reached from the archive's machines (and must not be hammered by
tests), so the capture is developed and tested against this sandbox. It imitates what makes a
real capture hard: consent walls, infinite scroll fed by background GraphQL, collapsed comment
threads, relative times in the page and exact data only in JSON.

Modules: content (the deterministic world), truth (what a perfect capture must find), server
(the HTTP server), facebook (the Facebook imitation's pages and API), cli (`smarchive sandbox`).
"""
