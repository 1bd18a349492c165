"""The referral programme: personal links (`codes`), attribution at sign-up and the rules a friend's first order is
judged by (`programme`), its effects on the order state machine (`effects`), the settings with history
(`settings`) and the manager's figures (`figures`). Rewards are entries of the points ledger
(`app.services.loyalty.ledger`), written with keys that make each one happen once."""
