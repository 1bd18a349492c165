"""gunicorn settings for `make serve` (production): the ones bench/storefront.py measures.

Two processes per core with a few threads each: a page waits on PostgreSQL more than it computes, and
threads cost less memory than processes. The scheduler never runs here (`flask scheduler`, one process).
"""

import os

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5
timeout = 60
graceful_timeout = 30
# A worker is replaced after this many requests (with jitter), bounding any slow growth of its memory; a
# replacement boots the app for seconds, so keep it rare at campaign rates (thousands of requests a second).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
wsgi_app = "run:app"
