"""``python -m benchmarks.peak ARGS``: run ``matcher ARGS`` (what the ``matcher`` script runs) and print, last on
standard error, ``PEAK <kB> <CPU seconds>``: the process's resident-memory high-water mark (``VmHWM``) and its
CPU time.

Not ``ru_maxrss``: a child forked from a large benchmark process and then running Python carries the parent's
peak in its ``ru_maxrss`` (Linux records the mm it leaves at exec), so a 500 MB run was reported as 1.6 GB.
``VmHWM`` belongs to the process's own memory since exec.
"""

import resource
import sys

from matcher.cli import main

try:
    code = main(sys.argv[1:])
except SystemExit as end:  # --help
    code = end.code if isinstance(end.code, int) else 0
with open("/proc/self/status", encoding="ascii") as status:
    peak_kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
use = resource.getrusage(resource.RUSAGE_SELF)
print(f"PEAK {peak_kb} {use.ru_utime + use.ru_stime:.3f}", file=sys.stderr)
sys.exit(code)
