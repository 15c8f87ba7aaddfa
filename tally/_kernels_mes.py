"""Private numba kernels for the budget Method of Equal Shares (see ``tally.budget_mes``).

Voters who supported the same funded projects so far hold the same money, so money is kept per **class**
of voters: ``klass[v]`` is voter ``v``'s class slot (-1: certainly no money left; such voters can pay
nothing and change no price), ``money_of[s]`` its money, ``gid_of[s]`` the class id the exact record
uses, ``size[s]`` its weight (0: a free slot). Prices are computed from each project's supporters
(project -> voters CSR) grouped by class. Everything here is float and only an estimate: ``tally.budget_mes``
trusts an estimate only when it is far from every decision boundary and otherwise decides on exact
fractions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

UNTOUCHED = 0
AFFORDABLE = 1
UNAFFORDABLE = 2
BORDERLINE = 3


@njit(cache=True)
def csr(points, weights):
    """Voter -> supported projects (``vptr``, ``vproj``), project -> supporters (``pptr``, ``pvot``) and
    the voters' weights, over the rows of positive weight only."""
    n, m = points.shape
    keep = 0
    for r in range(n):
        if weights[r] > 0:
            keep += 1
    vptr = np.zeros(keep + 1, dtype=np.int64)
    pptr = np.zeros(m + 1, dtype=np.int64)
    w = np.empty(keep, dtype=np.int64)
    v = 0
    for r in range(n):
        if weights[r] <= 0:
            continue
        k = 0
        for p in range(m):
            if points[r, p] > 0:
                k += 1
                pptr[p + 1] += 1
        vptr[v + 1] = vptr[v] + k
        w[v] = weights[r]
        v += 1
    for p in range(m):
        pptr[p + 1] += pptr[p]
    vproj = np.empty(vptr[keep], dtype=np.int64)
    pvot = np.empty(vptr[keep], dtype=np.int64)
    fill = pptr[:m].copy()
    v = 0
    for r in range(n):
        if weights[r] <= 0:
            continue
        t = vptr[v]
        for p in range(m):
            if points[r, p] > 0:
                vproj[t] = p
                t += 1
                pvot[fill[p]] = v
                fill[p] += 1
        v += 1
    return vptr, vproj, pptr, pvot, w


@njit(cache=True)
def _gather(p, pptr, pvot, weights, klass, acc, slots):
    """Classes of ``p``'s supporters who still hold money, into ``slots``; their weights in ``acc``
    (the caller resets ``acc``). Returns how many."""
    k = 0
    for i in range(pptr[p], pptr[p + 1]):
        v = pvot[i]
        s = klass[v]
        if s < 0:
            continue
        if acc[s] == 0:
            slots[k] = s
            k += 1
        acc[s] += weights[v]
    return k


@njit(cache=True)
def _max_payment(mine, acc, money_of, cost, people):
    """Float max payment q with sum over classes of weight x min(money, q) = cost, and the weight of
    those paying q in full (inf, 0 when not found). Raises q to (cost - money of those holding less) /
    (the others) until no one else falls below it; sorts the classes when that takes many steps."""
    q = cost / people
    poor = -1
    for _ in range(16):
        need = cost
        rich = 0
        npoor = 0
        for s in mine:
            if money_of[s] < q:
                need -= acc[s] * money_of[s]
                npoor += 1
            else:
                rich += acc[s]
        if npoor == poor:
            return q, rich
        if rich == 0:
            return np.inf, 0
        poor = npoor
        q = need / rich
    order = mine[np.argsort(money_of[mine], kind="mergesort")]
    need = cost
    rich = people
    for s in order:
        x = need / rich
        if x <= money_of[s]:
            return x, rich
        need -= acc[s] * money_of[s]
        rich -= acc[s]
    return np.inf, 0


@njit(cache=True)
def examine(pptr, pvot, weights, klass, money_of, acc, bound, active, costs, support, first, tol):
    """Estimate this round's prices, cheapest first.

    Projects are visited in increasing ``bound`` (a lower bound on their price per unit of cost: prices
    only rise as money is spent) and the visit stops once that bound is above the cheapest price found
    (with margins). For each visited project: ``status`` (AFFORDABLE, UNAFFORDABLE, or BORDERLINE when
    the supporters' money is within ``tol`` of the cost), ``rho`` (price per unit of cost; for
    BORDERLINE the price if every supporter paid all they hold) and ``margin``, the relative error the
    estimate must be allowed: ``tol`` x supporters / supporters who can pay in full. In the ``first``
    round everyone holds ``money_of[0]``, so supporters are counted from ``support``."""
    m = costs.size
    projects = np.flatnonzero(active)
    projects = projects[np.argsort(bound[projects], kind="mergesort")]
    status = np.zeros(m, dtype=np.int8)
    rho = np.full(m, np.inf)
    margin = np.zeros(m)
    slots = np.empty(np.max(pptr[1:] - pptr[:-1]) if m else 0, dtype=np.int64)
    best = np.inf
    best_margin = 0.0
    for p in projects:
        if bound[p] > best * (1.0 + best_margin):
            break
        if first:
            slots[0] = 0
            acc[0] = support[p]
            k = 1
        else:
            k = _gather(p, pptr, pvot, weights, klass, acc, slots)
        mine = slots[:k]
        money = 0.0
        people = 0
        richest = 0.0
        for s in mine:
            money += acc[s] * money_of[s]
            people += acc[s]
            richest = max(richest, money_of[s])
        cost = costs[p]
        if money < cost * (1.0 - tol):
            status[p] = UNAFFORDABLE
            for s in mine:
                acc[s] = 0
            continue
        q, rich = _max_payment(mine, acc, money_of, cost, people)
        for s in mine:
            acc[s] = 0
        if money < cost * (1.0 + tol) or q == np.inf:
            status[p] = BORDERLINE
            rho[p] = richest / cost
            margin[p] = tol * people
            continue
        status[p] = AFFORDABLE
        rho[p] = q / cost
        margin[p] = tol * max(1.0, people / rich)
        if rho[p] < best:
            best = rho[p]
            best_margin = margin[p]
    return status, rho, margin


@njit(cache=True)
def supporters_per_class(p, pptr, pvot, weights, klass, gid_of, acc):
    """(class ids, weights) of the classes of ``p``'s supporters who still hold money."""
    slots = np.empty(pptr[p + 1] - pptr[p], dtype=np.int64)
    k = _gather(p, pptr, pvot, weights, klass, acc, slots)
    gids = np.empty(k, dtype=np.int64)
    w = np.empty(k, dtype=np.int64)
    for t in range(k):
        s = slots[t]
        gids[t] = gid_of[s]
        w[t] = acc[s]
        acc[s] = 0
    return gids, w


@njit(cache=True)
def fund(p, q, broke_below, pptr, pvot, weights, klass, size, money_of, gid_of, free, counters, acc, log):
    """Fund project ``p`` at max payment ``q``: each class of its supporters splits off a class for them,
    whose money drops by ``q``; those in classes holding less than ``broke_below`` are certainly broke and
    leave every class. ``free`` is a stack of free class slots (``counters[0]`` entries), ``counters[1]``
    the next unused class id. The round's record is appended to ``log`` (``counters[2]`` columns used):
    per supporting class, its id, its supporters' weight and the id of the class they became (-1: broke);
    row 3 is scratch."""
    start = pptr[p]
    k = _gather(p, pptr, pvot, weights, klass, acc, log[3, counters[2] :])
    slots = log[3, counters[2] : counters[2] + k]
    for t in range(k):
        s = slots[t]
        row = counters[2] + t
        log[0, row] = gid_of[s]
        log[1, row] = acc[s]
        if money_of[s] < broke_below:
            acc[s] = -1
            log[2, row] = -1
        else:
            counters[0] -= 1
            slot = free[counters[0]]
            money_of[slot] = max(money_of[s] - q, 0.0)
            gid_of[slot] = counters[1]
            log[2, row] = counters[1]
            counters[1] += 1
            acc[s] = slot + 1  # acc now maps old slot -> new slot + 1
    for i in range(start, pptr[p + 1]):
        v = pvot[i]
        s = klass[v]
        if s < 0:
            continue
        dest = acc[s] - 1 if acc[s] > 0 else -1
        w = weights[v]
        size[s] -= w
        if dest >= 0:
            size[dest] += w
        klass[v] = dest
    for t in range(k):
        s = slots[t]
        acc[s] = 0
        if size[s] == 0:
            free[counters[0]] = s
            counters[0] += 1
    counters[2] += k


@njit(cache=True)
def advance(
    pptr,
    pvot,
    weights,
    klass,
    size,
    money_of,
    gid_of,
    free,
    counters,
    acc,
    bound,
    active,
    costs,
    support,
    tol,
    selected,
    log,
    log_ptr,
):
    """Run rounds while float estimates decide them (see ``tally.budget_mes``): fund the cheapest project,
    record it in ``selected`` / ``log`` (round r's record is ``log[:, log_ptr[r]:log_ptr[r+1]]``,
    ``counters[3]`` rounds so far). Stops and returns the projects an exact decision must choose among
    (none: the run is over); unaffordable projects leave ``active`` on the way."""
    while True:
        first = counters[3] == 0
        status, rho, margin = examine(
            pptr, pvot, weights, klass, money_of, acc, bound, active, costs, support, first, tol
        )
        lead = -1
        nseen = 0
        for p in range(costs.size):
            if status[p] == UNAFFORDABLE:
                active[p] = False
            elif status[p] == AFFORDABLE:
                nseen += 1
                bound[p] = rho[p] * (1.0 - margin[p])
                if lead < 0 or rho[p] < rho[lead]:
                    lead = p
            elif status[p] == BORDERLINE:
                nseen += 1
                bound[p] = 0.0
        near = np.empty(nseen, dtype=np.int64)
        k = 0
        top = rho[lead] * (1.0 + margin[lead]) if lead >= 0 else np.inf
        for p in range(costs.size):
            if (status[p] == AFFORDABLE or status[p] == BORDERLINE) and rho[p] * (1.0 - margin[p]) <= top:
                near[k] = p
                k += 1
        if k != 1 or near[0] != lead:
            return near[:k]
        q = rho[lead] * costs[lead]
        fund(
            lead,
            q,
            q * (1.0 - 4.0 * margin[lead]),
            pptr,
            pvot,
            weights,
            klass,
            size,
            money_of,
            gid_of,
            free,
            counters,
            acc,
            log,
        )
        active[lead] = False
        selected[counters[3]] = lead
        counters[3] += 1
        log_ptr[counters[3]] = counters[2]


@njit(cache=True)
def support_counts(vptr, vproj, weights, m):
    """Weight of each project's supporters."""
    out = np.zeros(m, dtype=np.int64)
    for v in range(vptr.size - 1):
        for j in range(vptr[v], vptr[v + 1]):
            out[vproj[j]] += weights[v]
    return out


@njit(cache=True)
def funded_support(vptr, vproj, funded):
    """Per voter, how many funded projects they support."""
    n = vptr.size - 1
    out = np.zeros(n, dtype=np.int64)
    for v in range(n):
        k = 0
        for j in range(vptr[v], vptr[v + 1]):
            if funded[vproj[j]]:
                k += 1
        out[v] = k
    return out
