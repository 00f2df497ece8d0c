"""In-app notifications and their emails, for the transitions that need the other side."""
