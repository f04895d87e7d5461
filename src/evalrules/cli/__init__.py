"""The command line. Only this package touches argv, stdout, stderr and exit codes.

Exit codes: 0 success; 1 embedded tests failed (`test`) or warnings with --strict (`check`);
2 usage error; 3 the scheme has errors; 4 the facts have errors; 5 a formula failed for a unit;
6 an output file could not be written; 7 the results store cannot do what was asked.
"""

from . import authoring as _authoring  # noqa: F401 - registers its commands
from . import evaluation as _evaluation  # noqa: F401 - registers its commands
from . import history as _history  # noqa: F401
from . import scale as _scale  # noqa: F401 - registers `score`
from . import security as _security  # noqa: F401 - EVALRULES_PROFILE=service
from .app import main

__all__ = ["main"]
