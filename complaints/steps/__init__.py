"""Steps that wait for a person: what each waits for, opening, links, decisions."""
