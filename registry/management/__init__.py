"""Management commands of the enterprise register."""
