"""Reading what the wizard needs, once, when it opens (in a worker thread)."""

from __future__ import annotations

from cosell_tui.domain.codes import COUNTRIES
from cosell_tui.domain.models import User
from cosell_tui.domain.wizard import Rules
from cosell_tui.screens.wizard.base import WizardContext
from cosell_tui.source import WizardSource
from cosell_tui.store import directory, queries
from cosell_tui.store.database import Database


def load_context(db: Database, user: User) -> WizardContext:
    with db.reading() as session:
        organization = queries.organization(session, user.organization_id)
        catalog = queries.solutions(session)
        partners = directory.ecosystem_partners(session, organization.id)
        recent = directory.recent_contacts(session, user)
    return WizardContext(
        user=user,
        organization=organization,
        rules=Rules(
            today=db.clock.now().date(),
            organization=organization,
            catalog={s.id: s for s in catalog},
        ),
        catalog=catalog,
        partners=partners,
        recent_contacts=recent,
        source=WizardSource(db, user),
        countries=dict(COUNTRIES),
    )
