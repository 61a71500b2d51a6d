"""The ledger's views, one module per topic (items, meetings, dashboard, reports, sheets)."""
