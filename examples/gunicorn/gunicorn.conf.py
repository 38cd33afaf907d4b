# gunicorn settings for the example: several gthread workers with a few
# threads each, the setup where glibc's per-thread arenas retain the most.
#   gunicorn -c gunicorn.conf.py app:app
import os

# Loopback only: the example (and load.py) never listens on a network.
bind = f"127.0.0.1:{int(os.environ.get('PORT', '8000'))}"

# WEB_CONCURRENCY is gunicorn's own convention, and jeinit reads it too as
# the worker count its per-process budget is divided by.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# No worker recycling: max_requests would restart workers and hide the
# allocator's retention, which is what the example is about.
max_requests = 0
timeout = 30
graceful_timeout = 10
keepalive = 5

# Access logs off: the load would otherwise be mostly log lines.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")

# Each worker imports the app itself (gunicorn's default), as most
# deployments do; with preload_app the code pages would be shared.
preload_app = False
