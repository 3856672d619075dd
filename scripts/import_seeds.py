"""Import every 重要計畫項目 of the seed plans into knowledge/plan_items.json (same as `python -m app import-seeds`).

Usage: .venv/bin/python scripts/import_seeds.py [--seeds-dir ../shared/seeds] [--knowledge-dir knowledge]
"""

from app.knowledge.seeds import main

if __name__ == "__main__":
    raise SystemExit(main())
