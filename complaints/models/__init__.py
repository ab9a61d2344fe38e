"""The records: SQLAlchemy 2 typed models, by concept. Personal data lives here and nowhere
else."""

from complaints.models.access import ApiKey as ApiKey
from complaints.models.access import SignInToken as SignInToken
from complaints.models.base import NAMING_CONVENTION as NAMING_CONVENTION
from complaints.models.base import Base as Base
from complaints.models.base import UTCDateTime as UTCDateTime
from complaints.models.base import _enum as _enum
from complaints.models.base import utcnow as utcnow
from complaints.models.complaint import Attachment as Attachment
from complaints.models.complaint import Classification as Classification
from complaints.models.complaint import Complaint as Complaint
from complaints.models.complaint import Event as Event
from complaints.models.complaint import LinkToken as LinkToken
from complaints.models.complaint import Meeting as Meeting
from complaints.models.complaint import ReferenceCounter as ReferenceCounter
from complaints.models.complaint import Step as Step
from complaints.models.complaint import StepNotice as StepNotice
from complaints.models.mail import InboundMessage as InboundMessage
from complaints.models.mail import OutboxMessage as OutboxMessage
from complaints.models.management import MINUTES_KEY as MINUTES_KEY
from complaints.models.management import ManagementReview as ManagementReview
from complaints.models.management import ReviewLink as ReviewLink
from complaints.models.management import ReviewTask as ReviewTask
from complaints.models.management import TaskKind as TaskKind
from complaints.models.privacy import AuditRehash as AuditRehash
from complaints.models.privacy import DataExport as DataExport
from complaints.models.reviews import Review as Review
from complaints.models.reviews import ReviewFile as ReviewFile
from complaints.models.reviews import ShippedVolume as ShippedVolume
from complaints.models.runs import JournalEntry as JournalEntry
from complaints.models.runs import RunExecution as RunExecution
