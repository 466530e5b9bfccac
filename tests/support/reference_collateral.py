"""Pure-Python reference ("twin") of the BMA/SIFMA standard-formula collateral cash flows.

This module is written from the standard's formulas only (Uniform Practices / Standard Formulas,
chapter SF, section C.3 "Standard Formulas for Computing Mortgage Cash Flows with Defaults", and
the PSA / SDA curves of SF-5 ... SF-10 and SF-20 ... SF-22; summarized in
``shared/docs/STANDARDS.md`` sections 1.3, 1.6 and 1.7).  It is deliberately slow and simple:
one Python loop over the months, plain floats and lists, no numpy, so that it can serve as an
independent oracle for the fast engine.

Notation (month ``i`` = 1 .. remaining_term, lists are indexed ``i - 1``)::

    SCH(k)        level-pay balance factor after k months at the note rate (SCH(0) = 1)
    af(i)         SCH(i) / SCH(i-1)
    NEW_DEF(i)    = PERF(i-1) * MDR(i)
    ADB(i)        = NEW_DEF(i-L) * SCH(i-1) / SCH(i-1-L)      if P&I advanced
                  = NEW_DEF(i-L)                              if not advanced
    PRIN_LOSS(i)  = min(NEW_DEF(i-L) * SEVERITY(i-L), ADB(i))
    PRIN_RECOV(i) = max(ADB(i) - PRIN_LOSS(i), 0)
    EXP_AM(i)     = (PERF(i-1) + FCL(i-1) - ADB(i)) * (1 - af(i))
    VOL_PREPAY(i) = PERF(i-1) * af(i) * SMM(i)                (then the cap)
    AM_DEF(i)     = (NEW_DEF(i) + FCL(i-1) - ADB(i)) * (1 - af(i)) if advanced, else 0
    ACT_AM(i)     = (PERF(i-1) - NEW_DEF(i)) * (1 - af(i))
    EXP_INT(i)    = (PERF(i-1) + FCL(i-1)) * r
    LOST_INT(i)   = (NEW_DEF(i) + FCL(i-1)) * r
    ACT_INT(i)    = EXP_INT(i) - LOST_INT(i)
    FCL(i)        = NEW_DEF(i) + FCL(i-1) - ADB(i) - AM_DEF(i)
    PERF(i)       = PERF(i-1) - NEW_DEF(i) - VOL_PREPAY(i) - ACT_AM(i)

The twin reproduces the printed BMA example tables ("Cash Flow A": 1% SMM / 1% MDR, and
"Cash Flow B": 150% PSA / 100% SDA; $100MM, 8%, 360 months, 20% severity, 12-month lag, P&I
advanced) to the dollar; see ``tests/reference/test_reference_collateral.py``.

Choices made where the standard is silent (all documented in :func:`reference_pool`):

* Severity vector: the loss on a default liquidated in month ``i`` uses ``severity`` of the
  **default month** ``i - L``.  The standard defines severity as loss / principal balance *at
  the time of default*, i.e. an attribute of the defaulted loan fixed when it defaults.
* User-supplied ``cdr`` / ``mdr`` vectors are used as given (the twin does **not** zero their
  last ``L`` months); only the internally generated SDA curve applies the "zero default rate in
  the last L months before scheduled maturity" rule.  Defaults that cannot be liquidated within
  the horizon stay in ``foreclosure_balance`` (non-advancing) or are fully advanced by the final
  month's ``af = 0`` (advancing), exactly as the formulas give.
* ``smm`` / ``cpr`` / ``psa`` (and ``mdr`` / ``cdr`` / ``sda``) are mutually exclusive; if none
  of a group is given the rate is zero.
* ``EXP_AM`` and ``EXP_INT`` / ``LOST_INT`` are reported from the literal formulas also when
  P&I is not advanced (they are then "expected" amounts that are not all paid).
"""

from __future__ import annotations

from typing import cast

OUTPUT_KEYS: tuple[str, ...] = (
    "performing_balance",
    "new_defaults",
    "foreclosure_balance",
    "expected_amortization",
    "voluntary_prepayments",
    "amortization_from_defaults",
    "actual_amortization",
    "expected_interest",
    "interest_lost",
    "actual_interest",
    "principal_recovery",
    "principal_loss",
    "adb",
    "smm",
    "mdr",
    "cpr",
    "cdr",
)


def psa_cpr(psa: float, month: int) -> float:
    """Annual CPR (decimal) of ``psa`` % PSA for loan-age month ``month`` (SF-5..SF-10).

    ``CPR = min((PSA/100) * 0.2% * max(1, min(MONTH, 30)), 100%)``.
    """
    return min(psa / 100.0 * 0.002 * max(1, min(month, 30)), 1.0)


def sda_cdr(sda: float, month: int) -> float:
    """Annual CDR (decimal) of ``sda`` % SDA for loan-age month ``month`` (SF-20..SF-22).

    100% SDA: 0.02% x month for months 1-30, 0.60% for 30-60, 0.60% - 0.0095% x (month - 60)
    for 61-120, 0.03% afterwards.  The "zero in the last L months" rule depends on the pool's
    remaining term and is applied by :func:`reference_pool`, not here.
    """
    m = max(1, month)
    if m <= 30:
        base = 0.0002 * m
    elif m <= 60:
        base = 0.006
    elif m <= 120:
        base = 0.006 - 0.000095 * (m - 60)
    else:
        base = 0.0003
    return min(sda / 100.0 * base, 1.0)


def annual_to_monthly(annual: float) -> float:
    """``1 - (1 - annual)^(1/12)`` (CPR -> SMM, CDR -> MDR), decimals."""
    if annual >= 1.0:
        return 1.0
    # float ** float is typed Any (a negative base gives a complex); the base is positive here.
    return 1.0 - cast(float, (1.0 - annual) ** (1.0 / 12.0))


def monthly_to_annual(monthly: float) -> float:
    """``1 - (1 - monthly)^12`` (SMM -> CPR, MDR -> CDR), decimals."""
    if monthly >= 1.0:
        return 1.0
    return 1.0 - (1.0 - monthly) ** 12


def schedule_factors(note_rate: float, remaining_term: int) -> list[float]:
    """Level-pay 0%-prepay balance factors ``SCH(0..remaining_term)`` at ``note_rate``.

    ``SCH(k) = (1 - (1+r)^-(N-k)) / (1 - (1+r)^-N)`` with ``r = note_rate/12``; linear
    ``(N-k)/N`` when the rate is zero.  ``SCH(0) = 1`` and ``SCH(N) = 0``.
    """
    n = remaining_term
    r = note_rate / 12.0
    if r == 0.0:
        return [(n - k) / n for k in range(n + 1)]
    denom = 1.0 - (1.0 + r) ** (-n)
    factors = [(1.0 - (1.0 + r) ** (-(n - k))) / denom for k in range(n + 1)]
    factors[n] = 0.0
    return factors


def _rate_vector(
    name_monthly: str,
    monthly: list[float] | None,
    name_annual: str,
    annual: list[float] | None,
    name_speed: str,
    speed: float | None,
    curve: str,
    remaining_term: int,
    age: int,
    lag: int,
) -> tuple[list[float], list[float]]:
    """Resolve one (monthly, annual) rate pair from exactly one of its three inputs."""
    given = [
        n
        for n, v in ((name_monthly, monthly), (name_annual, annual), (name_speed, speed))
        if v is not None
    ]
    if len(given) > 1:
        raise ValueError(f"give at most one of {name_monthly}, {name_annual}, {name_speed}")
    for name, vec in ((name_monthly, monthly), (name_annual, annual)):
        if vec is not None and len(vec) != remaining_term:
            raise ValueError(f"{name} must have remaining_term={remaining_term} entries")
    if monthly is not None:
        m_vec = [float(x) for x in monthly]
        return m_vec, [monthly_to_annual(x) for x in m_vec]
    if annual is not None:
        a_vec = [float(x) for x in annual]
        return [annual_to_monthly(x) for x in a_vec], a_vec
    if speed is None:
        return [0.0] * remaining_term, [0.0] * remaining_term
    a_vec = []
    for i in range(1, remaining_term + 1):
        loan_month = age + i  # loan age at the end of month i
        if curve == "psa":
            a_vec.append(psa_cpr(speed, loan_month))
        elif i > remaining_term - lag:  # SDA: zero in the last L months before maturity
            a_vec.append(0.0)
        else:
            a_vec.append(sda_cdr(speed, loan_month))
    return [annual_to_monthly(x) for x in a_vec], a_vec


def reference_pool(
    balance: float,
    note_rate: float,
    net_rate: float,
    remaining_term: int,
    age: int,
    *,
    cpr: list[float] | None = None,
    smm: list[float] | None = None,
    cdr: list[float] | None = None,
    mdr: list[float] | None = None,
    severity: list[float],
    lag: int,
    advancing: bool,
    psa: float | None = None,
    sda: float | None = None,
) -> dict[str, list[float]]:
    """Month-by-month BMA/SIFMA standard-formula (C.3) cash flows of one level-pay pool.

    Args:
        balance: pool balance at the start (month 0).
        note_rate: gross mortgage rate (decimal, annual); drives scheduled amortization.
        net_rate: net (pass-through) rate (decimal, annual); interest is ``balance * net/12``.
        remaining_term: months to scheduled maturity; every vector has this many entries.
        age: loan age (months) at the start; PSA/SDA use loan age ``age + i`` in month ``i``.
        cpr, smm, psa: prepayment rate as an annual CPR vector, a monthly SMM vector or a
            PSA speed in percent (e.g. 150.0).  At most one; none means no prepayments.
        cdr, mdr, sda: default rate as an annual CDR vector, a monthly MDR vector or an SDA
            speed in percent (e.g. 100.0).  At most one; none means no defaults.  The SDA curve
            is zero in the last ``lag`` months before scheduled maturity (months
            ``remaining_term - lag + 1 .. remaining_term``); CDR/MDR vectors are used as given.
        severity: loss severity per month (decimal).  The loss on loans liquidated in month
            ``i`` uses ``severity[i - lag]`` in 1-based months, i.e. the value of the **default
            month**: severity is loss / balance *at the time of default*, an attribute of the
            defaulted loan fixed at default.
        lag: months to liquidation ``L`` (>= 0); a month-``d`` default is liquidated in month
            ``d + L``.
        advancing: whether P&I is advanced on defaulted loans until liquidation.

    Returns:
        Dict of per-month lists (index 0 = month 1) with keys ``performing_balance`` (PERF(i)),
        ``new_defaults``, ``foreclosure_balance`` (FCL(i)), ``expected_amortization``,
        ``voluntary_prepayments``, ``amortization_from_defaults`` (AM_DEF),
        ``actual_amortization``, ``expected_interest``, ``interest_lost``, ``actual_interest``,
        ``principal_recovery``, ``principal_loss``, ``adb`` (amortized default balance
        liquidated) and the rates used: ``smm``, ``mdr``, ``cpr``, ``cdr`` (decimals).
    """
    if remaining_term <= 0:
        raise ValueError("remaining_term must be positive")
    if lag < 0:
        raise ValueError("lag must be >= 0")
    if len(severity) != remaining_term:
        raise ValueError(f"severity must have remaining_term={remaining_term} entries")

    smm_v, cpr_v = _rate_vector(
        "smm", smm, "cpr", cpr, "psa", psa, "psa", remaining_term, age, lag
    )
    mdr_v, cdr_v = _rate_vector(
        "mdr", mdr, "cdr", cdr, "sda", sda, "sda", remaining_term, age, lag
    )
    sch = schedule_factors(note_rate, remaining_term)
    r = net_rate / 12.0

    out: dict[str, list[float]] = {key: [] for key in OUTPUT_KEYS}
    new_def_hist: list[float] = []  # NEW_DEF(1..i), index d-1 = month d
    perf_prev = float(balance)
    fcl_prev = 0.0

    for i in range(1, remaining_term + 1):
        af = sch[i] / sch[i - 1]
        one_minus_af = 1.0 - af

        # 1-2. default on the prior performing balance, before scheduled amortization
        new_def = perf_prev * mdr_v[i - 1]

        # 3. liquidation of the month-(i-L) defaults (before this month's amortization)
        d = i - lag
        if d >= 1:
            def_bal = new_def if d == i else new_def_hist[d - 1]
            sev = float(severity[d - 1])
            # with advancing, the defaulted balance keeps amortizing on schedule during the lag
            adb = def_bal * (sch[i - 1] / sch[i - 1 - lag]) if advancing else def_bal
            loss = min(def_bal * sev, adb)
            recov = max(adb - loss, 0.0)
        else:
            adb = loss = recov = 0.0

        # 4. scheduled amortization
        exp_am = (perf_prev + fcl_prev - adb) * one_minus_af
        act_am = (perf_prev - new_def) * one_minus_af
        am_def = (new_def + fcl_prev - adb) * one_minus_af if advancing else 0.0

        # 5. voluntary prepayments on the whole PERF(i-1) after amortization, then the cap
        vol = perf_prev * af * smm_v[i - 1]
        room = perf_prev - new_def - act_am
        if vol > room:
            vol = max(room, 0.0)

        # 6. interest
        exp_int = (perf_prev + fcl_prev) * r
        lost_int = (new_def + fcl_prev) * r
        act_int = exp_int - lost_int

        # 7. balances
        fcl = new_def + fcl_prev - adb - am_def
        perf = perf_prev - new_def - vol - act_am

        new_def_hist.append(new_def)
        out["performing_balance"].append(perf)
        out["new_defaults"].append(new_def)
        out["foreclosure_balance"].append(fcl)
        out["expected_amortization"].append(exp_am)
        out["voluntary_prepayments"].append(vol)
        out["amortization_from_defaults"].append(am_def)
        out["actual_amortization"].append(act_am)
        out["expected_interest"].append(exp_int)
        out["interest_lost"].append(lost_int)
        out["actual_interest"].append(act_int)
        out["principal_recovery"].append(recov)
        out["principal_loss"].append(loss)
        out["adb"].append(adb)
        perf_prev = perf
        fcl_prev = fcl

    out["smm"] = smm_v
    out["mdr"] = mdr_v
    out["cpr"] = cpr_v
    out["cdr"] = cdr_v
    return out
