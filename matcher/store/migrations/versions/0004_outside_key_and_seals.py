"""the store's identity and key check value; a seal column on every case-data table

Revision ID: 0004
Revises: 0003

The migration has no key, so it cannot seal the rows that already exist: they keep an empty seal until an
admin runs `matcher audit seal --as ADMIN` once (``audit verify`` reports them as unsealed until then), and
the store writes the identity row (database id, key check value) the first time it opens with the key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SEALED = ("cases", "assessments", "recommendations", "decisions", "decision_items", "consents", "plans",
          "plan_items", "follow_ups")


def upgrade() -> None:
    op.create_table(
        "store_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.String(length=32), nullable=False),
        sa.Column("check_value", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for table in SEALED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("seal", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in reversed(SEALED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("seal")
    op.drop_table("store_identity")
