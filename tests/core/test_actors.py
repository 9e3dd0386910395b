from django.contrib.auth.models import AnonymousUser, User

from kyklos.core.actors import acting_user


def test_only_a_logged_in_user_is_recorded_as_the_acting_user():
    user = User(username="eleni")
    assert acting_user(user) is user
    assert acting_user(AnonymousUser()) is None
    assert acting_user("automation") is None
    assert acting_user(None) is None
