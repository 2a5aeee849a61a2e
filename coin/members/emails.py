"""The emails about membership: welcome, sign-up confirmation, fee reminders."""

from coin.emails import build_email, notify_admins, send_email


def send_signup_confirmation(member, confirm_url: str) -> None:
    send_email(
        "members/signup_confirmation",
        {"member": member, "confirm_url": confirm_url},
        [member.email],
        language=member.preferred_language,
    )
    notify_admins("members/signup_notification", {"member": member})


def build_fee_reminder(member, membership_end, offset_months: int, bcc=()):
    return build_email(
        "members/fee_reminder",
        {"member": member, "membership_end": membership_end, "offset_months": offset_months},
        [member.email],
        bcc=bcc,
        language=member.preferred_language,
    )
