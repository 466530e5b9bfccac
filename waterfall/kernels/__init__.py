"""Compiled kernels: collateral projection and the priority-of-payments interpreter.

Only this package and ``waterfall._jit`` import numba; kernels see numbers only (STYLE C3).
"""
