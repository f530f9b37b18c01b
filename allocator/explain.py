"""Why there is no plan, in words a budget officer understands.

Checks run before any solve (villages that must be covered but cannot be
reached, floors asking for more villages than any technology reaches), and
after a solver proves infeasibility: the cheapest plan meeting the floors is
solved without the budget, which gives the smallest budget that would do.
"""
from __future__ import annotations


def structural_problems(form) -> list[str]:
    """Reasons visible without solving; empty when none."""
    problems = list(form.eligibility.problems)
    for req in form.floors:
        if req["need"] > req["reachable"]:
            problems.append(
                f"group '{req['group']}': the floor of {req['floor']:.1%} needs "
                f"{req['need'] + req['existing']} of its {req['poor_villages']} registered poor villages covered; "
                f"{req['existing']} already are and only {req['reachable']} more can be reached by any allowed "
                f"technology (lower the floor to at most "
                f"{(req['existing'] + req['reachable']) / req['poor_villages']:.2%} or allow more technologies)")
    return problems


def budget_shortfall_text(min_cost: float, budget: float, proven: bool, currency: str) -> str:
    word = "at least" if proven else "about (not proven)"
    return (f"The floors and required facilities (schools, forced technologies) cost {word} "
            f"{min_cost:,.0f} {currency}; the budget is {budget:,.0f} {currency}. Raise the budget by "
            f"{max(min_cost - budget, 0):,.0f} {currency} or lower the floors.")
