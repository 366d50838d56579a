"""`make bench`: CampusDesk measured side by side with the machine's own limits (see bench/README.md)."""
