"""Due times and the notices a step gets, by the organization's deadline policy."""
