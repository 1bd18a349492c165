"""Orders: the cart, placing an order, the status state machine, staff edits, mass actions, and the
history of every change."""
