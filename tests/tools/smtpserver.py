"""A real SMTP server on loopback for the tests of attache mail (aiosmtpd).

    srv = smtpserver.Server(tls=(cert, key), require_starttls=True,
                            login=("hr", "secret"))
    srv.refuse.add("thiri@example.org")     # 550 for this recipient
    srv.drop_next = 1                        # drop the connection mid-message
    ... srv.url, srv.messages (a list of Received), srv.stop()

Messages are kept as they arrived (bytes), with the envelope, so a test
can parse them with Python's email package.
"""
import logging
import socket
import ssl
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

# the server's own log (refused TLS handshakes, deprecation notes) is not the test's output
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore", module="aiosmtpd")


class Received:
    def __init__(self, mail_from, rcpt_tos, content, tls):
        self.mail_from, self.rcpt_tos, self.content, self.tls = mail_from, rcpt_tos, content, tls


class Handler:
    def __init__(self):
        self.messages = []
        self.refuse = set()
        self.drop_next = 0
        self.drops = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      bytes(envelope.original_content or envelope.content),
                                      server.transport.get_extra_info("ssl_object") is not None))
        return "250 2.0.0 Ok: queued"


class DroppingSMTP(SMTP):
    """Closes the connection in the middle of a message when asked to."""

    async def smtp_DATA(self, arg):
        handler = self.event_handler
        if handler.drop_next > 0 and self.envelope.rcpt_tos:
            handler.drop_next -= 1
            handler.drops += 1
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.read(4096)        # part of the message, then hang up
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self):
        return DroppingSMTP(self.handler, **self.SMTP_kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tls=None, implicit_tls=False, require_starttls=False, login=None,
                 host="127.0.0.1"):
        self.handler = Handler()
        self.port = free_port()
        kw = {}
        ctx = None
        if tls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*tls)
        if tls and not implicit_tls:
            kw["tls_context"] = ctx
            kw["require_starttls"] = require_starttls
        if login:
            user, password = login

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = (auth_data.login.decode() == user and auth_data.password.decode() == password)
                return AuthResult(success=ok, handled=False)   # 535 when not ok

            kw["authenticator"] = authenticator
            kw["auth_required"] = True
            kw["auth_require_tls"] = bool(tls)
        self.controller = _Controller(self.handler, hostname=host, port=self.port,
                                      ssl_context=ctx if implicit_tls else None,
                                      server_hostname="mail.test", **kw)
        self.controller.start()
        scheme = "smtps" if implicit_tls else "smtp"
        self.url = f"{scheme}://{host}:{self.port}"

    @property
    def messages(self):
        return self.handler.messages

    @property
    def refuse(self):
        return self.handler.refuse

    def drop(self, n=1):
        self.handler.drop_next = n

    def stop(self):
        try:
            self.controller.stop()
        except Exception:
            pass
