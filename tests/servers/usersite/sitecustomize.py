"""A program's own ``sitecustomize``: ctxlocal's launcher must still run it.

``tests/test_servers.py`` puts this directory on the server's ``PYTHONPATH``,
as a user would; the launcher's bootstrap directory comes first and must chain
to this file. It marks, per interpreter, that it ran and in which process
(a builtins attribute: an environment variable would be inherited by child
interpreters that never ran it). The served apps report the mark.
"""

import builtins
import os

builtins.ctxlocal_test_user_sitecustomize = {"file": __file__, "pid": os.getpid()}  # type: ignore[attr-defined]
