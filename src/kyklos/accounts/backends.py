from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login made through a request (the login
    views). Code that authenticates without a request — a management command, the test
    client's ``login()`` — has no client to throttle, so the check is skipped there
    instead of refusing (axes' default)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
