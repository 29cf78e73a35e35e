"""Calendar feeds (iCalendar): every deadline of a representative's clients, kept current."""
