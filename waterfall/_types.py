"""Array type aliases shared by the package (rateslib's local_types idea)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64Array = npt.NDArray[np.float64]
I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
