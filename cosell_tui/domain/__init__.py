"""Pure rules of the co-sell world: no textual, no sqlalchemy (STYLE rule 2)."""
