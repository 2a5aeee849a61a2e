"""Background work of the members app (run by the worker, see TASKS)."""

from django_tasks import task

from coin.emails import send_email
from coin.members.models import Member


@task()
def send_welcome_email(member_id: int) -> None:
    member = Member.objects.filter(pk=member_id).first()
    if member is not None and member.email:
        send_email("members/welcome", {"member": member}, [member.email], language=member.preferred_language)
