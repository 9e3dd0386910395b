"""gunicorn settings for Kyklos (docs/decisions/0015-portal-under-load.md):

    gunicorn -c python:kyklos.config.gunicorn kyklos.config.wsgi:application

with ``DATABASE_URL=postgres://…?conn_max_age=600`` (one persistent connection per worker
thread) and ``KYKLOS_DEBUG=0``. Command-line options override these. Environment:

- ``KYKLOS_BIND``     address to listen on; default ``127.0.0.1:8000`` (behind a reverse proxy)
- ``KYKLOS_WORKERS``  processes; default one per core
- ``KYKLOS_THREADS``  threads per process; default 2 (gunicorn's threaded worker)
"""

import os

bind = os.environ.get("KYKLOS_BIND", "127.0.0.1:8000")
# A portal request is CPU work in Python (the ORM, templates) around a few short queries:
# one process per core keeps the cores busy, and a second thread in each runs while the
# other waits for PostgreSQL. The threaded worker also keeps connections alive, which the
# sync worker cannot (it answers one request per connection). Measured in
# docs/decisions/0015: 2 x 2 served the most requests on 2 cores; more processes only add
# context switches and memory.
workers = int(os.environ.get("KYKLOS_WORKERS", os.cpu_count() or 1))
threads = int(os.environ.get("KYKLOS_THREADS", "2"))
worker_class = "gthread"
keepalive = 5
timeout = 30
graceful_timeout = 30
# Recycle a worker now and then so that no leak grows for ever (jitter: not all at once).
max_requests = 20_000
max_requests_jitter = 2_000
# The heartbeat file on tmpfs: a slow disk must not make the arbiter kill busy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = None  # the proxy logs requests
