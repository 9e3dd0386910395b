"""gunicorn settings for Kyklos (docs/decisions/0015-portal-under-load.md):

    gunicorn -c python:kyklos.config.gunicorn kyklos.config.wsgi:application

with ``DATABASE_URL=postgres://…?conn_max_age=600`` (one persistent connection per worker
thread) and ``KYKLOS_DEBUG=0``. Command-line options override these. Environment:

- ``KYKLOS_BIND``     address to listen on; default ``127.0.0.1:8000`` (behind a reverse proxy)
- ``KYKLOS_WORKERS``  processes; default one per core plus one
- ``KYKLOS_THREADS``  threads per process; default 1 (sync workers)
"""

import os

bind = os.environ.get("KYKLOS_BIND", "127.0.0.1:8000")
# A portal request is CPU work in Python (rendering, the ORM) around a few short queries:
# one process per core keeps the cores busy; one more covers the time a process waits on
# PostgreSQL. More processes than that only add context switches and memory.
workers = int(os.environ.get("KYKLOS_WORKERS", (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("KYKLOS_THREADS", "1"))
# Behind a reverse proxy that keeps its own connections to the clients; used by the
# threaded worker (the sync worker answers one request per connection).
keepalive = 5
timeout = 30
graceful_timeout = 30
# Recycle a worker now and then so that no leak grows for ever (jitter: not all at once).
max_requests = 20_000
max_requests_jitter = 2_000
# The heartbeat file on tmpfs: a slow disk must not make the arbiter kill busy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = None  # the proxy logs requests
