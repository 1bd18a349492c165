"""Messages to customers: the outbox, its delivery by email and Telegram, texts, preferences and newsletter consent."""
