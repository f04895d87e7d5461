"""`python -m bench`: the comparison of engines (see bench/run.py)."""

from .run import main

raise SystemExit(main())
