"""The management review (ISO 10002 8.6, ISO 9001 9.3): its inputs assembled from our
records, the minutes its chair submits, and the actions it decides, each tracked to an
owner and a due date like a corrective action."""
