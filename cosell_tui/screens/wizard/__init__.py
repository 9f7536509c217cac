"""The deal-creation wizard (R-UI-4): six steps, one screen each, with a draft (R-Q-2)."""
