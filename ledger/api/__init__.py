"""The REST API (version 1, at /api/v1/): the ledger's records as JSON, the web's scopes and
permissions, the web's FilterSets, and every write through `ledger.workflow`."""
