"""CampusDesk analytics: open tickets: Tickets opened in the last X hours or days that are not yet closed."""
