"""Uploaded evidence: photos and documents, checked by their bytes."""
