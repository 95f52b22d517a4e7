"""server-side login sessions, failed-login throttle; a case's date of birth; personnummer unique per unit

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Names for the constraints the first migration left unnamed, so that SQLite's batch mode can drop them.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_unique_pnr() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("cases_pnr_hmac_key", "cases", type_="unique")
        return
    with op.batch_alter_table("cases", naming_convention=NAMING, recreate="always") as batch:
        batch.drop_constraint("uq_cases_pnr_hmac", type_="unique")


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    _drop_unique_pnr()
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("born_on", sa.Date(), nullable=True))
        batch.create_unique_constraint("uq_cases_unit_pnr", ["unit_id", "pnr_hmac"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("uq_cases_unit_pnr", type_="unique")
        batch.drop_column("born_on")
        batch.create_unique_constraint("uq_cases_pnr_hmac", ["pnr_hmac"])
    op.drop_table("login_throttle")
    op.drop_index("ix_login_sessions_user_id", table_name="login_sessions")
    op.drop_table("login_sessions")
