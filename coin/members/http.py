"""The request type of member views."""

from django.http import HttpRequest

from coin.members.models import Member


class MemberRequest(HttpRequest):
    """A request behind ``login_required``: its user is a logged-in Member, not an
    ``AnonymousUser``. An annotation only (``request: MemberRequest``): Django passes
    its own HttpRequest; the type lets mypy check what views do with the member."""

    user: Member
