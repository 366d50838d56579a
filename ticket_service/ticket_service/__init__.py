"""CampusDesk ticket service: tickets, messages and their history, stored in SQL."""
