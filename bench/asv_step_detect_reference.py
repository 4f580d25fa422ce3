#!/usr/bin/env python3
"""asv's step detection, reimplemented as the reference for bench/run_detect_corpus_bench.sh.

This is a clean reimplementation (Python 3 standard library only) of the regression detection
of airspeed velocity (asv, https://github.com/airspeed-velocity/asv, asv/step_detect.py,
BSD-3-Clause), written from the method its module documentation describes. It is not asv's
code: asv is not installable here (not in Debian 12, and PyPI is unreachable), and the issue
asks for the whole-process time and the accuracy of "asv's step detection" on the same series
in the same run, so the algorithm is rewritten here. What it does, as asv documents it:

1. Piecewise-constant L1 fit (the Potts problem): minimize gamma * k + sum_i |y_i - mu_seg(i)|
   over segmentations into k segments, mu the median of each segment (Friedrich et al.,
   "Complexity Penalized M-Estimation: Fast Computation", JCGS 17(1), 2008). As asv does, the
   exact dynamic programme runs with segments of at most 20 points, and the segments are then
   merged greedily while a merge lowers the cost, and each boundary is moved within +-20
   points to where the cost is least ("solve_potts_approx").
2. The penalty gamma is chosen by a golden-section search over log(gamma / gamma0), gamma0
   the cost of a single segment, between log(0.1 / n) and 0, minimizing a Schwarz-like
   criterion (Yao, "Estimating the number of change-points via Schwarz criterion", Stat. Prob.
   Letters 6, 1988): beta * k + log(sigma0 + S), beta = 4 ln(n) / n, S the L1 size of the
   residuals after removing their AR(1) correlation (rho fitted by golden section in [-1, 1]),
   sigma0 a floor of 0.1 x the smallest jump between segments (0.001 x the smallest level
   with at most 2 segments) ("solve_potts_autogamma").
3. The steps are the segments; the regressions are the upward steps that are not undone
   later, walking back from the newest segment, a jump counting when it exceeds the segments'
   mean absolute deviations (and the relative threshold), segments shorter than min_size only
   when the level does not come back ("detect_regressions").
Unweighted: perfledger's series of per-commit medians carry no per-point weights here. asv
ships an optional C extension for the range medians; this module is pure Python, so its time
is that of asv without the extension.

Usage:
  asv_step_detect_reference.py IN.json OUT.json   IN: {"series": [[v, ...], ...]}
      OUT: {"changes": [[index, ...], ...], "regressions": [[index, ...], ...], "seconds": s}
      (an index is the first point of a new segment; a regression's is the first point after
      the upward step)
  asv_step_detect_reference.py --values FILE      one value a line: prints the change points
"""

import bisect
import json
import math
import sys
import time

MAX_WINDOW = 20  # segment length limit of the exact programme (asv: 20 when min_size < 10)
GOLDEN = (math.sqrt(5) - 1) / 2


class L1Costs:
    """Median and sum of absolute deviations of y[l..r] (inclusive), memoized."""

    def __init__(self, y):
        self.y = y
        self.memo = {}

    def median_and_cost(self, l, r):
        key = (l, r)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        part = sorted(self.y[l:r + 1])
        m = len(part)
        med = part[m // 2] if m % 2 else (part[m // 2 - 1] + part[m // 2]) / 2
        cost = sum(abs(v - med) for v in part)
        self.memo[key] = (med, cost)
        return med, cost

    def cost(self, l, r):
        return self.median_and_cost(l, r)[1]

    def window_costs(self, r):
        """Costs of y[l..r] for l from r down to r - MAX_WINDOW + 1, incrementally."""
        out = []
        part = []
        lo = max(0, r - MAX_WINDOW + 1)
        for l in range(r, lo - 1, -1):
            bisect.insort(part, self.y[l])
            m = len(part)
            med = part[m // 2] if m % 2 else (part[m // 2 - 1] + part[m // 2]) / 2
            cost = sum(abs(v - med) for v in part)
            self.memo[(l, r)] = (med, cost)
            out.append((l, cost))
        return out


def potts_windowed(costs, n, gamma, windows):
    """Exact penalized fit with segments of at most MAX_WINDOW points: the segment ends."""
    best = [0.0] * (n + 1)
    start = [0] * n
    best[0] = -gamma
    for r in range(n):
        value = math.inf
        for l, cost in windows[r]:
            candidate = best[l] + gamma + cost
            if candidate < value:
                value = candidate
                start[r] = l
        best[r + 1] = value
    ends = []
    r = n - 1
    while r >= 0:
        ends.append(r + 1)
        r = start[r] - 1
    ends.reverse()
    return ends


def merge_and_adjust(costs, ends, gamma):
    """Merge neighbouring segments while that lowers the penalized cost, then move each
    boundary within +-MAX_WINDOW points to where the two segments cost least."""
    ends = list(ends)
    while len(ends) > 1:
        best_gain, best_j = 0.0, -1
        left = 0
        for j in range(len(ends) - 1):
            mid, right = ends[j], ends[j + 1]
            change = (costs.cost(left, right - 1) - costs.cost(left, mid - 1)
                      - costs.cost(mid, right - 1) - gamma)
            if change <= best_gain:
                best_gain, best_j = change, j
            left = mid
        if best_j < 0:
            break
        del ends[best_j]
    left = 0
    for j in range(len(ends) - 1):
        mid, right = ends[j], ends[j + 1]
        best_mid = mid
        best_cost = costs.cost(left, mid - 1) + costs.cost(mid, right - 1)
        for b in range(max(left + 1, mid - MAX_WINDOW), min(right - 1, mid + MAX_WINDOW) + 1):
            c = costs.cost(left, b - 1) + costs.cost(b, right - 1)
            if c < best_cost:
                best_cost, best_mid = c, b
        ends[j] = best_mid
        left = best_mid
    return ends


def golden_min(f, a, b, xtol):
    """Golden-section minimum of f on [a, b] whose first two probes are a and b themselves."""
    # Widen [a, b] to [x0, x3] so that the interior golden points fall on a and b.
    width = (b - a) / (2 * GOLDEN - 1)
    x0, x3 = b - width * GOLDEN, a + width * GOLDEN
    x1, x2 = a, b
    f1, f2 = f(x1), f(x2)
    while abs(x3 - x0) >= xtol:
        if f2 < f1:
            x0, x1, f1 = x1, x2, f2
            x2 = x0 + GOLDEN * (x3 - x0)
            f2 = f(x2)
        else:
            x3, x2, f2 = x2, x1, f1
            x1 = x3 - GOLDEN * (x3 - x0)
            f1 = f(x1)
    return x2 if f2 < f1 else x1


def detect_steps(y):
    """Segments of y as (left, right_exclusive, median, minimum, mean_abs_deviation)."""
    n = len(y)
    if n == 0:
        return []
    costs = L1Costs(y)
    windows = [costs.window_costs(r) for r in range(n)]
    gamma0 = costs.cost(0, n - 1) or 1.0
    beta = 4 * math.log(n) / n if n > 1 else 0.0
    best = {"objective": math.inf, "ends": [n]}

    def criterion(x):
        gamma = gamma0 * math.exp(x)
        ends = merge_and_adjust(costs, potts_windowed(costs, n, gamma, windows), gamma)
        levels = []
        left = 0
        for right in ends:
            levels.append(costs.median_and_cost(left, right - 1)[0])
            left = right
        residual = []
        left = 0
        for right, level in zip(ends, levels):
            residual.extend(v - level for v in y[left:right])
            left = right

        def ar1_l1(rho):
            return abs(residual[0]) + sum(abs(residual[i] - rho * residual[i - 1])
                                          for i in range(1, n))

        s = ar1_l1(golden_min(ar1_l1, -1.0, 1.0, 0.05))
        if len(levels) > 2:
            floor = 0.1 * min(abs(levels[i + 1] - levels[i]) for i in range(len(levels) - 1))
        else:
            floor = 0.001 * min(abs(v) for v in levels)
        objective = beta * len(ends) + math.log(max(1e-300, floor) + s)
        if objective < best["objective"]:
            best["objective"], best["ends"] = objective, ends
        return objective

    a = math.log(0.1 / n)
    golden_min(criterion, a, 0.0, abs(a) * 0.1)
    steps = []
    left = 0
    for right in best["ends"]:
        med, cost = costs.median_and_cost(left, right - 1)
        steps.append((left, right, med, min(y[left:right]), cost / (right - left)))
        left = right
    return steps


def detect_regressions(steps, threshold=0.0, min_size=2):
    """Upward steps not undone later, as the first index after each: walking back from the
    newest segment, a segment lower than the best level seen after it by more than the
    segments' deviations (and threshold x its level) starts a regression."""
    found = []
    best_level, best_err = steps[-1][2], steps[-1][4]
    pending_short = None
    after = None
    for left, right, level, _, err in reversed(steps):
        jump = max(err, best_err, threshold * level)
        if best_level > level + jump:
            if right - left < min_size:
                pending_short = (best_level, best_err)
            found.append(after)
            best_level, best_err = level, err
        elif pending_short is not None:
            if pending_short[0] <= level + jump:
                found.pop()  # the short segment's level came back: not a regression
                best_level, best_err = pending_short
            pending_short = None
        after = left
    return sorted(i for i in found if i is not None)


def changes(y):
    steps = detect_steps(y)
    return [s[0] for s in steps[1:]], (detect_regressions(steps) if steps else [])


def main(argv):
    if len(argv) == 3 and argv[1] == "--values":
        with open(argv[2]) as f:
            y = [float(line) for line in f if line.strip()]
        found, regressions = changes(y)
        print(json.dumps({"changes": found, "regressions": regressions}))
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        series = json.load(f)["series"]
    out = {"changes": [], "regressions": []}
    t0 = time.perf_counter()
    for y in series:
        found, regressions = changes(y)
        out["changes"].append(found)
        out["regressions"].append(regressions)
    out["seconds"] = time.perf_counter() - t0
    with open(argv[2], "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
