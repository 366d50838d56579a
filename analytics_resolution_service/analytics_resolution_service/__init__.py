"""CampusDesk analytics: resolution time: Average (and median) resolution time of closed tickets by opening month."""
