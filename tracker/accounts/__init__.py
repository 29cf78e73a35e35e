"""Users of the admin and the API: passwords, sessions, API tokens, sign-in throttling."""
