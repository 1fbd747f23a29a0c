"""The service's own PostgreSQL database (`Database` section of its config): the notes it stores.

TeraServer's database is never touched: participants and projects are referred to by their uuid/id and
checked through TeraServer's API on every access.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class Note(Base):
    """A free-text note about a participant, written by a user."""

    __tablename__ = "t_notes"

    id_note: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_uuid: Mapped[str] = mapped_column(String(36), index=True)
    id_project: Mapped[int] = mapped_column(Integer, index=True)
    note_text: Mapped[str] = mapped_column(Text)
    note_author_uuid: Mapped[str] = mapped_column(String(36))
    note_author_name: Mapped[str] = mapped_column(String(255))
    note_created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.datetime.now(datetime.UTC)
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "id_note": self.id_note,
            "participant_uuid": self.participant_uuid,
            "id_project": self.id_project,
            "note_text": self.note_text,
            "note_author_uuid": self.note_author_uuid,
            "note_author_name": self.note_author_name,
            "note_created_at": self.note_created_at.isoformat(),
        }


def database_url(db_config: dict[str, Any]) -> URL:
    # URL.create quotes the password, so any generated password works (upstream formats a plain string).
    return URL.create(
        "postgresql+psycopg2",
        username=db_config["username"],
        password=db_config["password"] or None,
        host=db_config["url"],
        port=int(db_config["port"]),
        database=db_config["name"],
    )


class NotesDatabase:
    def __init__(self, db_config: dict[str, Any]) -> None:
        self.engine: Engine = create_engine(database_url(db_config), pool_pre_ping=True, pool_size=5)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self, timeout: float = 60) -> None:
        """Create the tables if missing, waiting for PostgreSQL (compose waits too; this covers a bare run)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                Base.metadata.create_all(self.engine)
                return
            except OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(1)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # --- notes -----------------------------------------------------------------------------------------
    def notes_for_participant(self, participant_uuid: str) -> list[dict[str, Any]]:
        with self.session() as session:
            query = select(Note).where(Note.participant_uuid == participant_uuid).order_by(Note.id_note)
            return [note.to_json() for note in session.scalars(query)]

    def add_note(self, participant_uuid: str, id_project: int, text: str, author_uuid: str, author_name: str) -> dict:
        with self.session() as session:
            note = Note(
                participant_uuid=participant_uuid,
                id_project=id_project,
                note_text=text,
                note_author_uuid=author_uuid,
                note_author_name=author_name,
            )
            session.add(note)
            session.flush()
            return note.to_json()

    def get_note(self, id_note: int) -> dict[str, Any] | None:
        with self.session() as session:
            note = session.get(Note, id_note)
            return None if note is None else note.to_json()

    def delete_note(self, id_note: int) -> bool:
        with self.session() as session:
            note = session.get(Note, id_note)
            if note is None:
                return False
            session.delete(note)
            return True

    def delete_notes_of_participant(self, participant_uuid: str) -> int:
        with self.session() as session:
            notes = list(session.scalars(select(Note).where(Note.participant_uuid == participant_uuid)))
            for note in notes:
                session.delete(note)
            return len(notes)
