from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from kyklos.api import services
from kyklos.api.models import ApiToken
from kyklos.core.cli import KyklosCommand, bad_argument


def _when(moment) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


class Command(KyklosCommand):
    help = "API tokens of staff users: create (shown once), list, revoke."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a token; it is printed as the last line.")
        create.add_argument("username")
        create.add_argument(
            "--name", default="", help="What the token is for, e.g. 'billing sync'."
        )
        listing = actions.add_parser("list", help="Tokens (never the tokens themselves).")
        listing.add_argument("username", nargs="?")
        revoke = actions.add_parser("revoke", help="Refuse a token from now on.")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, **opts):
        {"create": self.create, "list": self.list, "revoke": self.revoke}[opts["action"]](opts)

    def create(self, opts):
        user = self._user(opts["username"])
        try:
            token, raw = services.create_token(user, name=opts["name"], actor="cli")
        except ValidationError as error:
            raise bad_argument(" ".join(error.messages)) from None
        label = f" “{token.name}”" if token.name else ""
        self.stdout.write(
            f"API token{label} for {user.get_username()} (id {token.pk}); "
            "it is shown only now, keep it secret:"
        )
        self.stdout.write(raw)

    def list(self, opts):
        tokens = ApiToken.objects.select_related("user").order_by("id")
        if opts["username"]:
            tokens = tokens.filter(user=self._user(opts["username"]))
        for token in tokens:
            state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
            self.stdout.write(
                f"{token.pk:<5} {token.prefix}…  {token.user.get_username():<20} "
                f"created {_when(token.created_at)}  last used {_when(token.last_used_at)}  "
                f"{state}  {token.name}".rstrip()
            )

    def revoke(self, opts):
        token = ApiToken.objects.select_related("user").filter(pk=opts["token_id"]).first()
        if token is None:
            raise bad_argument(f"There is no API token with id {opts['token_id']}.")
        try:
            services.revoke_token(token, actor="cli")
        except ValidationError as error:
            raise bad_argument(" ".join(error.messages)) from None
        self.stdout.write(
            f"Revoked API token {token.pk} ({token.prefix}…) of {token.user.get_username()}."
        )

    def _user(self, username: str):
        users = get_user_model().objects
        user = users.filter(**{users.model.USERNAME_FIELD: username}).first()
        if user is None:
            raise bad_argument(f"There is no user “{username}”.")
        return user
