"""Dependency aliases, so route signatures read plainly (``engine: EngineDep``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from orderline.api.auth import Principal, authenticate, require
from orderline.engine.conversations import Conversations
from orderline.engine.engine import Engine
from orderline.engine.metrics import Metrics
from orderline.storage.base import Storage
from orderline.storage.keys import ApiKey, Role
from orderline.transports.streams import LiveStreams


@dataclass
class Services:
    """What the lifespan builds and the routes use."""

    engine: Engine
    storage: Storage
    conversations: Conversations
    metrics: Metrics
    config_keys: dict[str, ApiKey]
    streams: LiveStreams = field(default_factory=LiveStreams)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _engine(services: Annotated[Services, Depends(_services)]) -> Engine:
    return services.engine


def _storage(services: Annotated[Services, Depends(_services)]) -> Storage:
    return services.storage


def _conversations(services: Annotated[Services, Depends(_services)]) -> Conversations:
    return services.conversations


def _crew(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    require(Role.CREW, principal)
    return principal


def _manager(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    require(Role.MANAGER, principal)
    return principal


ServicesDep = Annotated[Services, Depends(_services)]
EngineDep = Annotated[Engine, Depends(_engine)]
StorageDep = Annotated[Storage, Depends(_storage)]
ConversationsDep = Annotated[Conversations, Depends(_conversations)]
CallerDep = Annotated[Principal, Depends(authenticate)]
CrewDep = Annotated[Principal, Depends(_crew)]
ManagerDep = Annotated[Principal, Depends(_manager)]
