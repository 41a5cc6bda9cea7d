"""chosync core: the canonical catalog, its store, and the sync engine. No marketplace detail lives here."""
