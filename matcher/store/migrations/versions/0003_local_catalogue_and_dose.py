"""local service catalogues with history; delivered dose on plan items

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "version"),
    )
    op.create_index("ix_catalogue_versions_unit_id", "catalogue_versions", ["unit_id"])
    with op.batch_alter_table("plan_items") as batch:
        batch.add_column(sa.Column("sessions_delivered", sa.Float(), nullable=True))
        batch.add_column(sa.Column("hours_delivered", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_items") as batch:
        batch.drop_column("hours_delivered")
        batch.drop_column("sessions_delivered")
    op.drop_index("ix_catalogue_versions_unit_id", table_name="catalogue_versions")
    op.drop_table("catalogue_versions")
