"""Importing a ledger kept in Excel, WPS or CSV (导入台账).

Three steps, so that nothing is stored before the user saw what will be, and nothing holds the
whole file in memory; one module per concern:

- `reading`: reads every sheet of an .xlsx (or a .csv) once into a cache of its non-blank rows
  (merged cells, hidden columns, date and percent formats kept), refusing hostile or broken
  files (`SheetRefused`), and opens a sheet, or the three lists joined, as a `Table` that
  streams its rows from that cache. The web import keeps the cache beside the pending upload.
  `sheetxml` streams an .xlsx's sheet XML for it.
- `vocabulary`: the fields a column can hold, the headings and words ledgers use for them,
  dates as people type them, and the domain defaults (what a ledger means when it says less).
- `rows`: `prepare()` finds the headings and reads every row as the value it will store, with
  per-cell errors, keeping for the preview only the rows a person looks at.
- `storing`: `commit()` reads the file once more and stores all rows or none, through the
  workflow.

Callers use `reading.open_table` / `read_table` (or `save_upload` / `open_upload`),
`rows.prepare` and `storing.commit`.
"""
