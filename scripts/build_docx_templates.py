"""Regenerate the default Word templates (ledger/docx_templates/*.docx) from ledger.docx_layout.

Run from the project root: ``.venv/bin/python scripts/build_docx_templates.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.docx_layout import write_defaults  # noqa: E402

if __name__ == "__main__":
    for path in write_defaults():
        print(path)
