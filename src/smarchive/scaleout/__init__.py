"""Scale-out: several accounts of one run at once, in separate processes on this machine (`--workers N`)
or as jobs on a Celery queue with a Redis broker, served by `smarchive worker` on any number of machines.

One account is one job (`job.capture_job`): its own Chromium and recording proxy, its own process, its
WARC, WACZ, media and manifest parts written straight into the shared archive. The coordinator
(`run.run_scaled`) keeps what must be written once: the run journal, the platform ids file, the run's
row in the manifest and the seal, so the run's records are the same as a sequential run's.
"""
