"""Receiving complaints: what intake accepts and how it is recorded."""
