"""Product reviews: verified buyers write them, automatic rules and staff moderate them, the product page shows them.

Modules: `rules` (automatic checks of the text), `submission` (who may review what, writing and editing),
`photos` (upload, re-encoding, access), `moderation` (approve, reject, reply, pin, hide a photo, the log),
`public` (what the product page shows, «полезно» votes), `invitations` (asking for a review after the order),
`settings` (the shop's choices), `notices` (the outbox events).
"""
