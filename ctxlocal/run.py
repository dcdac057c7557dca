"""``python -m ctxlocal.run [--implementation cython|python] COMMAND [ARGS...]``.

The same launcher as the ``ctxlocal-run`` command (see ``_ctxlocal_run``),
for where console scripts are not on ``PATH``.
"""

import sys

from _ctxlocal_run import main

if __name__ == "__main__":
    sys.exit(main())
