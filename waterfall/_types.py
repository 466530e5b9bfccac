"""Array type aliases shared by the package (rateslib's local_types idea)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64Array = npt.NDArray[np.float64]
I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
U8Array = npt.NDArray[np.uint8]  # text as UTF-8 bytes (the grid's CSV)
