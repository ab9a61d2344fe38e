"""Corrective actions: managing them and counting recurrence after them."""
