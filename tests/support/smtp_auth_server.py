#!/usr/bin/python3
"""An SMTP server on 127.0.0.1 that requires a login and refuses every one (for govreview's tests).

Like some real servers, its refusal quotes the login it was given, password included, and its
base64 form: the client must keep that out of whatever it prints.

Usage: /usr/bin/python3 smtp_auth_server.py PORT     (Debian's python3, which has aiosmtpd)
Prints `READY` once listening; stops when killed.
"""

import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult


def refuse(server, session, envelope, mechanism, auth_data):
    import base64
    login = auth_data.login.decode(errors="replace")
    password = auth_data.password.decode(errors="replace")
    plain = base64.b64encode(b"\0" + auth_data.login + b"\0" + auth_data.password).decode()
    return AuthResult(
        success=False,
        handled=False,
        message=f"535 5.7.8 Authentication failed for {login}:{password} ({plain})",
    )


controller = Controller(
    Sink(),
    hostname="127.0.0.1",
    port=int(sys.argv[1]),
    authenticator=refuse,
    auth_required=True,
    auth_require_tls=False,
)
controller.start()
print("READY", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
