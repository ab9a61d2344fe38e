"""Development-only tools: the development mailbox."""
