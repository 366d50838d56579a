"""Offline tools of the ticket service: seeding, the classifier's data set, training and evaluation.

Not part of the service's image: the container runs only `ticket_service`. Run them with
`python -m ticket_service_tools` (`make seed`, `make eval-classifier`, `make retrain`).
"""
