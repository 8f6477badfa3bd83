"""Who the people are, folded from the log: e-mail, role, the IPs they signed in from."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.events import DomainEvent
from fleet.events.users import (
    EmailChanged,
    EmailVerified,
    LoginSucceeded,
    UserCreated,
    UserDeleted,
    UserRoleChanged,
)


@dataclass
class Person:
    """One user as notifications need him."""

    user_id: str
    username: str
    email: str
    role: str
    known_ips: set[str] = field(default_factory=set)
    email_verified: bool = False  # only a verified address receives notifications


@dataclass
class Directory:
    """Every user, by id (a deleted user is forgotten: he is told nothing more)."""

    people: dict[str, Person] = field(default_factory=dict)

    def admins(self) -> list[str]:
        """Ids of every admin, sorted (deterministic fan-out)."""
        return sorted(p.user_id for p in self.people.values() if p.role == "admin")

    def get(self, user_id: str) -> Person | None:
        return self.people.get(user_id)

    def apply(self, user_id: str, event: DomainEvent) -> None:
        """Fold one event of aggregate ``user`` (id ``user_id``)."""
        person = self.people.get(user_id)
        match event:
            case UserCreated():
                self.people[user_id] = Person(user_id, event.username, event.email, event.role)
            case UserRoleChanged() if person is not None:
                person.role = event.role
            case EmailChanged() if person is not None:
                person.email, person.email_verified = event.email, False
            case EmailVerified() if person is not None:
                person.email_verified = True
            case LoginSucceeded() if person is not None:
                person.known_ips.add(event.ip)
            case UserDeleted():
                self.people.pop(user_id, None)
