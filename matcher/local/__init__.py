"""What a unit offers: its local catalogue, availability beside each recommendation, delivered dose, and the
service-gap report's figures."""
