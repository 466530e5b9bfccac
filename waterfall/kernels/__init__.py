"""Compiled kernels: collateral projection, the priority-of-payments interpreter, the grid's
scenario loop and the text of its CSV.

Only this package and ``waterfall._jit`` import numba; kernels see numbers only (STYLE C3).
"""
