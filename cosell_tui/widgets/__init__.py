"""Reusable widgets: deal list, lifecycle, party cards, pickers."""
