"""`python -m analytics_resolution_service` runs the service with settings from the environment."""

from analytics_resolution_service.settings import Settings
from campusdesk_common.runner import serve

serve("analytics_resolution_service.main:create_app", Settings())
