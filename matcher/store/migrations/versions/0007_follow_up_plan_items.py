"""follow-up per plan item: goal attainment and dose delivered

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for follow-ups recorded before: their seals stay valid (seals leave NULL columns out)
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("item_results", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_column("item_results")
