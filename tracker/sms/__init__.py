"""Sending SMS: one small interface, with console and Twilio backends."""
