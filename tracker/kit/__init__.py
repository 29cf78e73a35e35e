"""Small tools with no tracker dependencies that several capability packages share:
encryption and keyed hashing of personal data (`crypto`)."""
