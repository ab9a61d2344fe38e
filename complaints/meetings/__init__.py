"""The containment and root-cause meetings and their calendar invitations."""
