"""Accounting: the sales journal (`journal`), posted through the order state machine's effects.

Importing this package registers the journal's status and payment effects with
`app.services.orders.lifecycle`; the app factory imports it, so every entry point posts.
"""

from app.services.accounting import journal as journal  # noqa: F401  (registers the effects)
