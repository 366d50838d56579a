"""E-mail updates: the SMTP address, the outbox written with each event, the messages and their sender."""
