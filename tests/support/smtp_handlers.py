"""aiosmtpd handlers for govreview's email tests (loaded with aiosmtpd -c smtp_handlers.RejectNobody)."""

from aiosmtpd.handlers import Mailbox


class RejectNobody(Mailbox):
    """A maildir that refuses any recipient at nobody@..., as a server does for an unknown user."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 <%s>: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"
