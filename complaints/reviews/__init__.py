"""Reviews of all complaints together (ISO 10002 8.2-8.6): the trend analysis."""
