"""The complainant's personal data: erased on request or when its retention ends, and
exported on request (ISO 10002 confidentiality; PIPL and GDPR deletion and access rights)."""
