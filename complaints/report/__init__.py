"""The incident report: the record, its view, the PDF and the mail."""
