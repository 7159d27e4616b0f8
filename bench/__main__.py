"""Run every benchmark (or those named): ``python -m bench [kernel media …]``."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
wanted = set(sys.argv[1:])
status = 0
for path in sorted(here.glob("bench_*.py")):
    name = path.stem.removeprefix("bench_")
    if wanted and name not in wanted:
        continue
    print(f"\n=== {name} ===", flush=True)
    status |= subprocess.call([sys.executable, str(path)])
sys.exit(status)
