"""Support: customers' tickets and the staff helpdesk.

tickets — the life of a ticket (open, replies, internal notes, states, assignment, limits, auto-close);
sla — targets and due times in working hours; alerts — breach emails to staff; attachments — files;
notices — events and message texts of the outbox; canned — ready answers; reprint — free reprint orders
for a misprint; stats — the manager's figures.
"""

from app.services.support import notices  # noqa: F401  (registers the events and their renderers)
