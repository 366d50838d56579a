"""`python -m analytics_category_service` runs the service with settings from the environment."""

from analytics_category_service.settings import Settings
from campusdesk_common.runner import serve

serve("analytics_category_service.main:create_app", Settings())
