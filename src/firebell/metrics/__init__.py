"""Incident-response metrics, their targets, and the weekly and monthly reviews built from them."""
