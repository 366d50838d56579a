"""CampusDesk analytics: active tickets by category: How many tickets are being worked on (active) in each category."""
