"""The bare Flask hello-world bench/storefront.py serves beside the shop, under the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
