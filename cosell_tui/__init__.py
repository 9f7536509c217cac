"""cosell-tui: manage co-sell deals with a software vendor and other partners, in a terminal."""

__version__ = "0.1.0"
