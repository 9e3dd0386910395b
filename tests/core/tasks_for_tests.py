from django_tasks import task

CALLS: list[str] = []


@task()
def remember(value: str) -> None:
    CALLS.append(value)
