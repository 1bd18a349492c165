"""The business rules, one package per domain; views, jobs, the CLI and reports call these, never the reverse.

Domains (each imports only those above it, never a view — checked by tests/test_architecture.py):

- `catalog/`    products, options and prices (`products`), promo codes (`promo`)
- `layouts/`    layout files: preflight checks, thumbnails
- `messaging/`  the outbox and its delivery: notifications, mail, Telegram, message texts, newsletter consent
- `companies/`  company accounts: registry and staff review, requisites, members and rights, invitations, addresses
- `customers/`  customer accounts, the address book, which files a customer may download
- `orders/`     cart, placing an order, the state machine (`lifecycle`), staff edits, mass actions, history
- `projects/`   saved projects and reorders
- `content/`    site pages, news and promotions, banners, the image library, the newsletter

Shared helpers beside them: `errors`, `money`, `shoptime` (the shop's time zone), `storage` (files by content
hash), `bulk_write` (COPY/executemany), `markup` (sanitised HTML and plain text), `phones`, `actors` (who did
something), `staff` (back-office accounts).
"""
