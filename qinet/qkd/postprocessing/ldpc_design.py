"""Density evolution for LDPC ensembles on the binary symmetric channel, and degree design.

An ensemble is given by its edge-perspective degree distributions λ (variable side,
λ_i = fraction of edges on variable nodes of degree i) and ρ (check side). Its belief-
propagation threshold p* is the largest BSC crossover probability at which the density
of the messages, followed through the iterations of an infinitely long, cycle-free
code, reaches error probability 0 (T. J. Richardson and R. L. Urbanke, IEEE Trans. Inf.
Theory 47, 599 (2001)). Two tools are here:

* :func:`bsc_threshold`: discretised density evolution. Message densities live on a
  uniform LLR grid of step Δ, saturated at ±``llr_max``; the variable node convolves
  (by FFT), the check node applies the tanh rule to pairs of quantised values (a table
  of output bins), as in S.-Y. Chung, G. D. Forney, T. J. Richardson and R. Urbanke,
  IEEE Commun. Lett. 5, 58 (2001). For the regular (3,6) ensemble it gives p* = 0.0839
  (LLR step 0.05 or 0.1), the 0.084 of Richardson and Urbanke (2001) as that paper is
  widely quoted (its table was not re-read here; the test holds it to ±0.0007).
* :func:`optimise_variable_degrees`: the linear programme of Richardson, Shokrollahi
  and Urbanke (IEEE Trans. Inf. Theory 47, 619 (2001)) for a concentrated check degree,
  with the one-dimensional Gaussian approximation of the check-to-variable messages of
  S.-Y. Chung, T. J. Richardson and R. L. Urbanke (IEEE Trans. Inf. Theory 47, 657
  (2001)), the BSC's two-valued channel LLR kept exact. With x the mean of 1 − tanh(v/2)
  over variable-to-check messages v, a check of degree j sends a message u with
  E tanh(u/2) = (1 − x)^{j−1} (exact for independent inputs), taken Gaussian N(μ, 2μ);
  a variable of degree i then sends v = L + Σ_{i−1} u, and x' = Σ_i λ_i h_i(x) is linear
  in λ. Decoding succeeds when x' < x on (0, x₀]; sampling x on a grid turns that into
  linear constraints, and the rate 1 − ∫ρ/∫λ is maximised through Σ λ_i / i. Degree-2
  edges are capped so that the degree-2 columns fit on one zigzag (n₂ ≤ m − 1, i.e.
  λ₂ ≤ 2 / d̄_c) and by the stability condition λ₂ ρ'(1) · 2√(p(1−p)) < 1.

The Gaussian approximation is the designer's model only; the designed ensembles are
checked with :func:`bsc_threshold` (their thresholds are in
:data:`qinet.qkd.postprocessing.ldpc_codes.DESIGNED_DISTRIBUTIONS`).

Examples:
    >>> # the (3,6) ensemble, bisected in [0.07, 0.1] on the grid of LLR step 0.1
    >>> round(bsc_threshold({3: 1.0}, {6: 1.0}, low=0.07, high=0.1, step=0.1,
    ...                     llr_max=25.0), 3)
    0.084
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qinet.errors import ConfigError

DE_STEP = 0.05  # LLR grid step of the discretised density evolution
DE_LLR_MAX = 30.0  # messages saturate here (error probability e^-30 per message)
DE_TARGET = 1e-7  # error probability at which density evolution is taken to have converged
DE_MAX_ITER = 2000  # iterations before a crossover probability counts as above threshold


@dataclass(frozen=True, slots=True)
class DesignedEnsemble:
    """A degree distribution pair from :func:`optimise_variable_degrees`.

    Attributes:
        variable_edges: λ, variable degree → fraction of edges.
        check_edges: ρ, check degree → fraction of edges.
        rate: design rate 1 − ∫ρ / ∫λ.
        design_crossover: the BSC crossover probability the programme was solved for.
    """

    variable_edges: dict[int, float]
    check_edges: dict[int, float]
    rate: float
    design_crossover: float


def design_rate(variable_edges: dict[int, float], check_edges: dict[int, float]) -> float:
    """1 − (Σ_j ρ_j / j) / (Σ_i λ_i / i).

    Examples:
        >>> design_rate({3: 1.0}, {6: 1.0})
        0.5
    """
    return 1.0 - (sum(w / d for d, w in check_edges.items())
                  / sum(w / d for d, w in variable_edges.items()))


def concentrated_checks(mean_degree: float) -> dict[int, float]:
    """ρ on the two degrees around a mean node degree d̄ (node fractions set the mean).

    A fraction a of check nodes of degree ⌊d̄⌋ and 1 − a of ⌊d̄⌋ + 1 with mean d̄; edge
    fractions follow as ρ_j ∝ j · (node fraction of j).

    Examples:
        >>> concentrated_checks(6.0)
        {6: 1.0}
        >>> {d: round(w, 3) for d, w in concentrated_checks(6.5).items()}
        {6: 0.462, 7: 0.538}
    """
    if mean_degree < 2:
        raise ConfigError("mean_degree", f"must be at least 2, got {mean_degree!r}")
    low = math.floor(mean_degree)
    upper = mean_degree - low  # node fraction of degree low + 1
    if upper < 1e-12:
        return {low: 1.0}
    return {low: (1.0 - upper) * low / mean_degree, low + 1: upper * (low + 1) / mean_degree}


# --- discretised density evolution -----------------------------------------------------


@lru_cache(maxsize=4)
def _grid(step: float, llr_max: float) -> tuple[np.ndarray, np.ndarray]:
    """The LLR grid and the check-node pair table (output bin of each pair of bins)."""
    half = round(llr_max / step)
    x = step * np.arange(-half, half + 1)
    t = np.tanh(x / 2.0)
    out = 2.0 * np.arctanh(np.clip(np.outer(t, t), -1 + 1e-16, 1 - 1e-16))
    table = np.clip(np.rint(out / step).astype(np.int64) + half, 0, 2 * half)
    return x, table.ravel()


def _quantised_channel(p: float, x: np.ndarray, step: float) -> np.ndarray:
    """The BSC(p) LLR density ±ln((1−p)/p) on the grid, each mass split between its two
    nearest bins so that the mean LLR is kept."""
    density = np.zeros(x.size)
    llr = math.log((1.0 - p) / p)
    half = (x.size - 1) // 2
    for value, mass in ((llr, 1.0 - p), (-llr, p)):
        pos = min(max(value / step + half, 0.0), x.size - 1.0)
        lo = math.floor(pos)
        frac = pos - lo
        density[lo] += mass * (1.0 - frac)
        if frac > 0:
            density[lo + 1] += mass * frac
    return density


def _saturate(full: np.ndarray, offset: int, size: int) -> np.ndarray:
    """Fold a density indexed from ``-offset`` onto bins [0, size): tails go to the ends."""
    out = np.zeros(size)
    lo = offset  # index in ``full`` of grid bin 0
    hi = lo + size
    out[:] = full[lo:hi]
    out[0] += full[:lo].sum()
    out[-1] += full[hi:].sum()
    return out


def _variable_update(channel: np.ndarray, check_out: np.ndarray,
                     variable_edges: dict[int, float]) -> np.ndarray:
    """Density of v = L + Σ_{i−1} u, mixed over λ, by FFT, saturated to the grid."""
    size = channel.size
    half = (size - 1) // 2
    top = max(variable_edges)
    length = 1 << math.ceil(math.log2(top * size))
    c_hat = np.fft.rfft(channel, length)
    u_hat = np.fft.rfft(check_out, length)
    mixed = np.zeros(size)
    for degree, weight in variable_edges.items():
        full = np.fft.irfft(c_hat * u_hat ** (degree - 1), length)
        np.clip(full, 0.0, None, out=full)
        mixed += weight * _saturate(full, degree * half - half, size)
    mixed /= mixed.sum()
    return mixed


def _check_pair(a: np.ndarray, b: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Density of 2 atanh(tanh(a/2) tanh(b/2)) for independent a, b (quantised)."""
    out: np.ndarray = np.bincount(table, weights=np.outer(a, b).ravel(), minlength=a.size)
    return out


def _check_update(v: np.ndarray, check_edges: dict[int, float],
                  table: np.ndarray) -> np.ndarray:
    """Density of a check's output, mixed over ρ: the tanh rule over j − 1 inputs."""
    result = np.zeros(v.size)
    powers: dict[int, np.ndarray] = {}
    for degree in sorted(check_edges):
        k = degree - 1
        below = max((j for j in powers if j <= k), default=0)
        if below:
            acc = powers[below]
            rest = k - below
        else:
            acc = v
            rest = k - 1
        base = v
        while rest:  # binary powering of the remaining inputs
            if rest & 1:
                acc = _check_pair(acc, base, table)
            rest >>= 1
            if rest:
                base = _check_pair(base, base, table)
        powers[k] = acc
        result += check_edges[degree] * acc
    return result


def _error_probability(density: np.ndarray) -> float:
    half = (density.size - 1) // 2
    return float(density[:half].sum() + 0.5 * density[half])


def de_converges(p: float, variable_edges: dict[int, float], check_edges: dict[int, float],
                 *, step: float = DE_STEP, llr_max: float = DE_LLR_MAX,
                 max_iter: int = DE_MAX_ITER) -> bool:
    """Whether discretised density evolution on BSC(p) reaches :data:`DE_TARGET`."""
    x, table = _grid(step, llr_max)
    channel = _quantised_channel(p, x, step)
    v = channel
    last = 1.0
    for it in range(max_iter):
        u = _check_update(v, check_edges, table)
        v = _variable_update(channel, u, variable_edges)
        error = _error_probability(v)
        if error < DE_TARGET:
            return True
        # a fixed point: the error has stopped falling (checked every 50 iterations)
        if it % 50 == 49:
            if error > last * (1.0 - 1e-4):
                return False
            last = error
    return False


def bsc_threshold(variable_edges: dict[int, float], check_edges: dict[int, float], *,
                  low: float = 1e-4, high: float = 0.5, tolerance: float = 2e-4,
                  step: float = DE_STEP, llr_max: float = DE_LLR_MAX) -> float:
    """The BP threshold p* on the BSC by discretised density evolution (bisection).

    Returns the largest p found to converge, within ``tolerance``.

    Raises:
        ConfigError: degree distributions that are empty or do not sum to 1.
    """
    for name, dist in (("variable_edges", variable_edges), ("check_edges", check_edges)):
        if not dist or abs(sum(dist.values()) - 1.0) > 1e-6 or min(dist) < 1:
            raise ConfigError(name, f"must be fractions of edges summing to 1, got {dist!r}")
    while high - low > tolerance:
        mid = 0.5 * (low + high)
        if de_converges(mid, variable_edges, check_edges, step=step, llr_max=llr_max):
            low = mid
        else:
            high = mid
    return low


# --- Gaussian-approximation design ------------------------------------------------------

_HERMITE_Z, _HERMITE_W = np.polynomial.hermite.hermgauss(80)
_HERMITE_W = _HERMITE_W / math.sqrt(math.pi)


def _one_minus_tanh(shift: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """E[1 − tanh(v/2)] for v = shift + N(mean, 2·mean) (Gauss-Hermite, 80 nodes)."""
    shift = np.asarray(shift, dtype=float)[..., None]
    mean = np.asarray(mean, dtype=float)[..., None]
    v = shift + mean + 2.0 * np.sqrt(mean) * _HERMITE_Z
    # 1 − tanh(v/2) = 2 / (1 + e^v), written to stay exact for large |v|
    return np.asarray((2.0 * np.exp(-np.logaddexp(0.0, v)) * _HERMITE_W).sum(axis=-1))


_MEANS = np.logspace(-8, 2.5, 4000)
_PHI_OF_MEAN = _one_minus_tanh(np.zeros_like(_MEANS), _MEANS)  # φ(μ), decreasing in μ


def _phi_inverse(value: np.ndarray) -> np.ndarray:
    """μ with φ(μ) = value (log-log interpolation of the table)."""
    logs = np.log(np.clip(value, _PHI_OF_MEAN[-1], _PHI_OF_MEAN[0]))
    means: np.ndarray = np.exp(np.interp(logs, np.log(_PHI_OF_MEAN[::-1]),
                                         np.log(_MEANS[::-1])))
    return means


def _ga_columns(p: float, check_edges: dict[int, float], degrees: list[int],
                points: np.ndarray) -> np.ndarray:
    """h_i(x) for each x of ``points`` (rows) and variable degree i (columns)."""
    mean = np.zeros_like(points)
    for j, w in check_edges.items():
        # 1 − (1 − x)^{j−1}, exact for small x
        mean += w * _phi_inverse(-np.expm1((j - 1) * np.log1p(-points)))
    llr = math.log((1.0 - p) / p)
    cols = []
    for i in degrees:
        m = (i - 1) * mean
        cols.append((1.0 - p) * _one_minus_tanh(np.full_like(m, llr), m)
                    + p * _one_minus_tanh(np.full_like(m, -llr), m))
    return np.stack(cols, axis=1)


def optimise_variable_degrees(p: float, check_mean_degree: float, degrees: list[int], *,
                              margin: float = 0.005, points: int = 300,
                              zigzag: bool = True) -> DesignedEnsemble | None:
    """λ of the highest rate whose Gaussian-approximation recursion converges on BSC(p).

    Linear programme over λ_i, i ∈ ``degrees``: maximise Σ λ_i / i subject to
    Σ λ_i = 1, λ ≥ 0, Σ λ_i h_i(x_k) ≤ (1 − ``margin``) x_k on ``points`` log-spaced
    x_k in [10^−9, x₀], x₀ = 1 − (1 − 2p)² (the channel's own 1 − E tanh), the stability
    bound on λ₂ and, with ``zigzag``, λ₂ ≤ 2 / d̄_c. ρ is
    :func:`concentrated_checks` of ``check_mean_degree``. Returns ``None`` when no λ
    satisfies the constraints.

    Raises:
        ConfigError: ``p`` outside (0, 0.5) or a degree below 2.
    """
    if not 0.0 < p < 0.5:
        raise ConfigError("p", f"must lie in (0, 0.5), got {p!r}")
    if not degrees or min(degrees) < 2:
        raise ConfigError("degrees", f"must be variable degrees >= 2, got {degrees!r}")
    rho = concentrated_checks(check_mean_degree)
    x0 = 1.0 - (1.0 - 2.0 * p) ** 2
    grid = np.logspace(-9, math.log10(x0), points)
    h = _ga_columns(p, rho, degrees, grid)
    cost = -1.0 / np.asarray(degrees, dtype=float)
    bounds: list[tuple[float, float | None]] = [(0.0, None)] * len(degrees)
    if 2 in degrees:
        rho_prime = sum(w * (j - 1) for j, w in rho.items())
        cap = 1.0 / (rho_prime * 2.0 * math.sqrt(p * (1.0 - p)))
        if zigzag:
            cap = min(cap, 2.0 / check_mean_degree)
        bounds[degrees.index(2)] = (0.0, cap)
    from scipy.optimize import linprog  # here, not at the top: 0.2 s of every start
    result = linprog(cost, A_ub=h, b_ub=(1.0 - margin) * grid,
                     A_eq=np.ones((1, len(degrees))), b_eq=[1.0], bounds=bounds,
                     method="highs")
    if not result.success or result.x is None:
        return None
    lam = {d: float(w) for d, w in zip(degrees, result.x, strict=True) if w > 1e-6}
    total = sum(lam.values())
    lam = {d: w / total for d, w in lam.items()}
    return DesignedEnsemble(lam, rho, design_rate(lam, rho), p)


def design_for_rate(rate: float, degrees: list[int], *, check_degrees: np.ndarray | None = None,
                    margin: float = 0.005, zigzag: bool = True) -> DesignedEnsemble:
    """The ensemble of rate ≥ ``rate`` with the highest Gaussian-approximation threshold.

    For each mean check degree of ``check_degrees`` the crossover p is bisected to the
    largest at which :func:`optimise_variable_degrees` still reaches ``rate``; the best
    over check degrees is returned.

    Raises:
        ConfigError: ``rate`` outside (0, 1), or no check degree reaches it.
    """
    if not 0.0 < rate < 1.0:
        raise ConfigError("rate", f"must lie in (0, 1), got {rate!r}")
    if check_degrees is None:
        check_degrees = np.arange(20.0, 60.0, 1.0)
    best: DesignedEnsemble | None = None
    for dc in check_degrees:
        lo, hi = 1e-4, 0.5
        found: DesignedEnsemble | None = None
        while hi - lo > 1e-5:
            mid = 0.5 * (lo + hi)
            ens = optimise_variable_degrees(mid, float(dc), degrees, margin=margin,
                                            zigzag=zigzag)
            if ens is not None and ens.rate >= rate:
                lo, found = mid, ens
            else:
                hi = mid
        if found is not None and (best is None or found.design_crossover > best.design_crossover):
            best = found
    if best is None:
        raise ConfigError("rate", f"no check degree reaches rate {rate!r}")
    return best


# --- refinement by density evolution ----------------------------------------------------


def _variable_errors(channel: np.ndarray, check_out: np.ndarray,
                     degrees: list[int]) -> np.ndarray:
    """P(v < 0) (ties halved) of v = L + Σ_{i−1} u for each variable degree i."""
    size = channel.size
    half = (size - 1) // 2
    length = 1 << math.ceil(math.log2(max(degrees) * size))
    c_hat = np.fft.rfft(channel, length)
    u_hat = np.fft.rfft(check_out, length)
    errors = np.empty(len(degrees))
    for k, degree in enumerate(degrees):
        full = np.fft.irfft(c_hat * u_hat ** (degree - 1), length)
        np.clip(full, 0.0, None, out=full)
        zero = degree * half  # index of LLR 0 in ``full``
        errors[k] = (full[:zero].sum() + 0.5 * full[zero]) / full.sum()
    return errors


def _trajectory(p: float, variable_edges: dict[int, float], check_edges: dict[int, float],
                degrees: list[int], step: float, llr_max: float,
                max_iter: int) -> tuple[bool, np.ndarray]:
    """Run density evolution; per iteration, each degree's error probability (rows)."""
    x, table = _grid(step, llr_max)
    channel = _quantised_channel(p, x, step)
    v = channel
    rows = []
    for _ in range(max_iter):
        u = _check_update(v, check_edges, table)
        rows.append(_variable_errors(channel, u, degrees))
        v = _variable_update(channel, u, variable_edges)
        if _error_probability(v) < DE_TARGET:
            return True, np.array(rows)
    return False, np.array(rows)


def refine_by_density_evolution(start: DesignedEnsemble, p: float, degrees: list[int], *,
                                rounds: int = 30, move: float = 0.05, progress: float = 0.02,
                                zigzag: bool = True,
                                step: float = 0.1, llr_max: float = 25.0,
                                max_iter: int = 400) -> DesignedEnsemble:
    """Raise the rate of an ensemble that converges on BSC(p), by linear programming on
    its density-evolution trajectory (hill climbing as in Richardson, Shokrollahi and
    Urbanke 2001, Sec. IV).

    With the check-output densities u_ℓ of the current λ held fixed, the error
    probability of variable-to-check messages after iteration ℓ is
    e_ℓ(λ') = Σ_i λ'_i P(L + Σ_{i−1} u_ℓ < 0), linear in λ'. Each round maximises
    Σ λ'_i / i subject to e_ℓ(λ') ≤ (1 − ``progress``) e_{ℓ−1}(λ) for every ℓ (each
    iteration still lowers the error it is given; e₀ = p), |λ' − λ| ≤ ``move`` and the
    λ₂ caps of :func:`optimise_variable_degrees`; the new λ' is kept if density
    evolution still converges at p, else the move is halved.

    Raises:
        ConfigError: ``start`` does not converge at ``p``.
    """
    rho = start.check_edges
    lam = np.array([start.variable_edges.get(d, 0.0) for d in degrees])
    ok, errs = _trajectory(p, start.variable_edges, rho, degrees, step, llr_max, max_iter)
    if not ok:
        raise ConfigError("start", f"does not converge by density evolution at p = {p!r}")
    bounds = [(0.0, 1.0)] * len(degrees)
    if 2 in degrees:
        rho_prime = sum(w * (j - 1) for j, w in rho.items())
        cap = 1.0 / (rho_prime * 2.0 * math.sqrt(p * (1.0 - p)))
        if zigzag:
            mean_check = 1.0 / sum(w / j for j, w in rho.items())
            cap = min(cap, 2.0 / mean_check)
        bounds[degrees.index(2)] = (0.0, cap)
    cost = -1.0 / np.asarray(degrees, dtype=float)
    from scipy.optimize import linprog  # here, not at the top: 0.2 s of every start

    for _ in range(rounds):
        if move < 1e-4:
            break
        box = [(max(lo, w - move), min(hi, w + move)) for (lo, hi), w in
               zip(bounds, lam, strict=True)]
        # progress at every iteration: from the error the current λ had going in
        before = np.concatenate([[p], (errs @ lam)[:-1]])
        result = linprog(cost, A_ub=errs, b_ub=(1.0 - progress) * before,
                         A_eq=np.ones((1, len(degrees))),
                         b_eq=[1.0], bounds=box, method="highs")
        if not result.success or result.x is None:
            move /= 2
            continue
        trial = np.clip(result.x, 0.0, None)
        trial /= trial.sum()
        trial_edges = {d: float(w) for d, w in zip(degrees, trial, strict=True) if w > 1e-9}
        ok, trial_errs = _trajectory(p, trial_edges, rho, degrees, step, llr_max, max_iter)
        if ok and cost @ trial < cost @ lam - 1e-7:
            lam, errs = trial, trial_errs
        else:
            move /= 2
    edges = {d: float(w) for d, w in zip(degrees, lam, strict=True) if w > 1e-6}
    total = sum(edges.values())
    edges = {d: w / total for d, w in edges.items()}
    return DesignedEnsemble(edges, dict(rho), design_rate(edges, rho), p)
