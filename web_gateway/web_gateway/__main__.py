"""`python -m web_gateway` runs the gateway with settings from the environment."""

from campusdesk_common.runner import serve
from web_gateway.settings import Settings

serve("web_gateway.main:create_app", Settings())
