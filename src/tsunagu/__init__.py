"""Tsunagu (つなぐ): a self-hostable crowdsourcing work platform."""
