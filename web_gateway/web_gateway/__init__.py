"""CampusDesk web gateway: the pages students and helpdesk staff use."""
