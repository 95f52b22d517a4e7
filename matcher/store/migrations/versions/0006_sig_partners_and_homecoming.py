"""SIG: a partner's agency, consent per category, SIG meetings, agencies' task reports, the SiS homecoming plan

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _sealed(name: str, *columns: sa.Column, index: str | None = "case_id") -> None:
    op.create_table(name, sa.Column("id", sa.Integer(), nullable=False), *columns,
                    sa.Column("seal", sa.String(length=64), nullable=True), sa.PrimaryKeyConstraint("id"))
    if index:
        op.create_index(f"ix_{name}_{index}", name, [index])


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("agency", sa.String(length=32), nullable=True))
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("categories", sa.JSON(), nullable=True))
    _sealed("sig_meetings",
            sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
            sa.Column("held_on", sa.Date(), nullable=False),
            sa.Column("next_on", sa.Date(), nullable=True),
            sa.Column("notes", sa.Text(), nullable=False),
            sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False))
    _sealed("task_reports",
            sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
            sa.Column("intervention", sa.String(length=64), nullable=False),
            sa.Column("actor", sa.String(length=32), nullable=False),
            sa.Column("done", sa.Boolean(), nullable=False),
            sa.Column("why", sa.Text(), nullable=False),
            sa.Column("reported_on", sa.Date(), nullable=False),
            sa.Column("reported_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
            sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False))
    _sealed("homecomings",
            sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
            sa.Column("youth_home", sa.String(length=128), nullable=False),
            sa.Column("discharge_on", sa.Date(), nullable=False),
            sa.Column("updated_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False), index=None)
    _sealed("homecoming_parts",
            sa.Column("homecoming_id", sa.Integer(), sa.ForeignKey("homecomings.id"), nullable=False),
            sa.Column("part", sa.String(length=16), nullable=False),
            sa.Column("agency", sa.String(length=32), nullable=False),
            sa.Column("goal", sa.Text(), nullable=False),
            sa.Column("due_on", sa.Date(), nullable=False),
            sa.Column("ready", sa.Boolean(), nullable=False),
            sa.Column("held_up", sa.String(length=16), nullable=True), index="homecoming_id")


def downgrade() -> None:
    op.drop_table("homecoming_parts")
    op.drop_table("homecomings")
    op.drop_table("task_reports")
    op.drop_table("sig_meetings")
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("categories")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("agency")
