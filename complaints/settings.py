"""Settings, read once from the environment (prefix ``COMPLAINTS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    """Everything the system reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_DIR / 'var' / 'complaints.db'}"
    # Unset: a development mailbox (aiosmtpd) runs on smtp_port and collects every message.
    smtp_host: str | None = None
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Complaints desk <complaints@localhost>"
    # Mail to this address becomes a complaint (or a reply to one): read from the IMAP
    # mailbox below in production, from the development mailbox's Maildir otherwise.
    inbound_address: str = "complaints@localhost"
    # A Maildir to take inbound mail from (unset: the development mailbox's, when it runs).
    inbound_maildir: Path | None = None
    imap_host: str | None = None
    imap_port: int = 993
    imap_tls: bool = True
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_mailbox: str = "INBOX"
    # How often the inbound mailbox is read.
    inbound_poll_seconds: float = 5.0
    # Where people reach the web app (links in emails); defaults to http://HTTP_HOST:HTTP_PORT.
    public_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Port of the project's own Prefect server that `make run` starts (UI and API).
    prefect_port: int = 4200
    # The Prefect UI operators use (links in their alerts); defaults to the local server.
    prefect_ui_url: str = ""
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    organization_file: Path = PROJECT_DIR / "var" / "organization.toml"
    mailbox_dir: Path = PROJECT_DIR / "var" / "mailbox"
    # Name of the deployment each complaint runs as ("<flow name>/<deployment name>").
    lifecycle_deployment: str = "complaint-lifecycle/complaint-lifecycle"
    # The trend analysis deployment quality leads run and schedule from the reviews area.
    review_deployment: str = "complaint-review/complaint-review"
    # The management review deployment (ISO 10002 8.6) the reviews area runs and schedules.
    management_review_deployment: str = "management-review/management-review"
    # A quality lead's emailed sign-in link works this long, once; the session it opens
    # lasts this many hours.
    sign_in_link_minutes: int = 15
    review_session_hours: int = 8
    # How often the web app's background loop starts pending runs, resumes decided
    # steps and delivers queued mail.
    reconcile_interval_seconds: float = 1.0
    # Mail that cannot be delivered (server down) is retried for this long before it is
    # marked failed for an operator; a permanent refusal (5xx) is marked failed at once.
    outbox_give_up_hours: float = 72.0
    # Operators are alerted ("mail is failing") when a message is still undelivered this
    # many minutes after its first attempt, or was refused.
    mail_alert_minutes: float = 15.0
    # A sender that claimed a message and died mid-send leaves it to others after this.
    outbox_claim_seconds: float = 120.0
    # A run that has sent no heartbeat for this long is taken as dead (its worker was
    # killed) and started again; a crashed run is started again at once.
    run_stall_seconds: int = 300
    # How many times a complaint's run is started again after crashing or failing before
    # it is left to an operator (a bug would otherwise fail over and over).
    run_restart_limit: int = 5
    link_grace_hours: int = 72
    # How long the quality leads' link to reopen a closed complaint works.
    reopen_link_days: int = 365
    # Bad links (unknown, expired, tampered) one client may present per window before
    # it gets 429 for the rest of the window.
    link_failure_limit: int = 20
    link_failure_window_seconds: int = 600
    # Retry delays of undelivered mail grow from the base, doubling, up to the maximum.
    outbox_retry_base_seconds: float = 2.0
    outbox_retry_max_seconds: float = 3600.0
    # Files people upload through step links (photos, evidence), each stored under its
    # id (never under the name it came with), readable by the app's user only.
    upload_dir: Path = PROJECT_DIR / "var" / "uploads"
    # Acknowledgements one address may get per hour: beyond it complaints are recorded
    # but not acknowledged, so nobody can make us mail an address at will.
    acknowledgements_per_address_per_hour: int = 5
    # Complaint-form submissions one client may make per hour (the public form).
    form_posts_per_client_per_hour: int = 10
    # Largest file accepted, in bytes.
    upload_max_bytes: int = 10 * 1024 * 1024
    # Most files accepted with one form submission.
    upload_max_files: int = 5
    # How long the single-use link to a complainant's data export works.
    export_link_hours: int = 72

    @model_validator(mode="after")
    def _public_url_defaults_to_the_web_app(self) -> Settings:
        if not self.public_url:
            self.public_url = f"http://{self.http_host}:{self.http_port}"
        if not self.prefect_ui_url:
            self.prefect_ui_url = f"http://127.0.0.1:{self.prefect_port}"
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError("COMPLAINTS_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def dev_mailbox_enabled(self) -> bool:
        """Whether the built-in development mailbox receives all mail."""
        return self.smtp_host is None

    @property
    def smtp_server(self) -> tuple[str, int]:
        """Host and port mail is delivered to."""
        return (self.smtp_host or "127.0.0.1", self.smtp_port)


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
