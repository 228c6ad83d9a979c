"""The services a use case may call on, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from approvals.clock import Clock
from approvals.config import Settings
from approvals.services.auth import Sessions
from approvals.services.calendar import CalendarService
from approvals.services.catalogue import Catalogue
from approvals.services.issuing import Issuers
from approvals.services.keyring import KeyRing
from approvals.services.materials import MaterialStore
from approvals.services.signature_cache import SignatureCache
from approvals.services.status_lists import StatusListPublisher
from approvals.services.trust import TrustListPublisher


@dataclass
class Services:
    settings: Settings
    clock: Clock
    sessions: Sessions
    catalogue: Catalogue
    keyring: KeyRing
    issuers: Issuers
    materials: MaterialStore
    signatures: SignatureCache
    status_lists: StatusListPublisher
    trust_list: TrustListPublisher
    calendar: CalendarService


def build_services(settings: Settings, clock: Clock) -> Services:
    keyring = KeyRing(settings.secret)
    return Services(
        settings=settings,
        clock=clock,
        sessions=Sessions(clock, hours=settings.session_hours),
        catalogue=Catalogue(),
        keyring=keyring,
        issuers=Issuers(),
        materials=MaterialStore(settings.materials_dir, clock, settings.max_upload_bytes),
        signatures=SignatureCache(),
        status_lists=StatusListPublisher(keyring, settings.base_url),
        trust_list=TrustListPublisher(keyring, settings.base_url),
        calendar=CalendarService(),
    )
