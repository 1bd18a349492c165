"""Business rules. Plain functions taking a session and keyword arguments; they flush, never commit."""
