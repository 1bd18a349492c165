"""The combined WSGI app: storefront at /, back office at /admin. `python run.py` serves it; `gunicorn run:app` too."""

from __future__ import annotations

import os

from app import create_wsgi_app

app = create_wsgi_app()

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    app.run(host=host, port=port, debug=os.environ.get("FLASK_DEBUG") == "1", use_reloader=False, threaded=True)
