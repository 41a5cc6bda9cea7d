"""The sync engine: plan and apply pushes, pull orders into one stock truth, reconcile, record runs."""
