"""Customer accounts: blocking, the address book, and which stored files a customer may download."""
