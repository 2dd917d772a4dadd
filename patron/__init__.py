"""Patron: loyalty, membership and member service for online shops."""
