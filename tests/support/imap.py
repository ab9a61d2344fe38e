"""A real IMAP server for the tests: Debian's Dovecot, started in the foreground on a
free port with a configuration of its own (one user, a Maildir, no TLS on localhost)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import free_port

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "complaints", "imap-test-password"
CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/home/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class ImapServer:
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise TimeoutError("dovecot did not listen")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def dovecot() -> Iterator[ImapServer]:
    """Start Dovecot with one user whose INBOX is a Maildir of its own.

    Its folder is made outside pytest's (which only root may enter): the mail is read by
    an unprivileged process.
    """
    if not os.path.exists(DOVECOT):
        pytest.fail("dovecot is not installed (`make test` installs Debian's dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="imap-"))
    root.chmod(0o755)
    for sub in ("run", "state", "home/Maildir"):
        (root / sub).mkdir(parents=True)
    uid = gid = 65534 if os.geteuid() == 0 else None
    if uid is not None:  # root: the mail belongs to nobody (Dovecot refuses root's)
        for path in [root / "home", *(root / "home").rglob("*")]:
            os.chown(path, uid, gid or 0)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(root=root, port=port, uid=uid or os.getuid(), gid=gid or os.getgid())
    )
    server = ImapServer(root, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
