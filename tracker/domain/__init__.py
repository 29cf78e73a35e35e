"""Pure domain logic: deadline rules and the case status machine. No I/O lives here."""
