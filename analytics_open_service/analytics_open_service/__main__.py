"""`python -m analytics_open_service` runs the service with settings from the environment."""

from analytics_open_service.settings import Settings
from campusdesk_common.runner import serve

serve("analytics_open_service.main:create_app", Settings())
