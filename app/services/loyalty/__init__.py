"""Bonus points: the ledger (`ledger`), the programme's rules (`rules`), tiers (`tiers`), what status changes and
payments do to points (`effects`, registered with the order state machine), spending at checkout (`checkout`),
activation and expiry (`maturity`), the customer's statement (`statement`) and the accountant's liability report
(`liability`)."""
