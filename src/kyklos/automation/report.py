"""Plain-text summaries of daily runs for the commands."""

from kyklos.automation.services import DayResult


def print_day(out, result: DayResult) -> None:
    if not result.actions:
        if result.previous_run_at:
            out.write(f"{result.day}: nothing to do — already ran at {result.previous_run_at}.")
        else:
            out.write(f"{result.day}: nothing due.")
        return
    out.write(f"{result.day}: {result.total} actions ({result.seconds:.2f} s)")
    width = max(len(k) for k in result.actions)
    for kind, count in result.actions.items():
        out.write(f"  {kind:<{width}}  {count:>8}")
