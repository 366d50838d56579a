"""The typed contracts between the services: one module of API models per provider.

A provider declares these classes as its `response_model`; a consumer parses the
provider's answers with the same classes; the tests' fakes build their answers from
them. They import nothing but pydantic and the shared vocabulary, so the gateway can
use the ticket service's models without importing the ticket service.

- `tickets`: the ticket service's public API (tickets, messages, history, classification),
- `stats`: the ticket service's internal `/stats` API (raw facts for the analytics services),
- `analytics_open`, `analytics_resolution`, `analytics_category`: the three analyses.
"""
