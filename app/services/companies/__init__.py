"""Company accounts: registration and staff review, requisites, members and their rights, invitations, addresses."""
