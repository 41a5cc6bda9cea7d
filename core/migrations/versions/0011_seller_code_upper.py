"""seller codes upper-case: ``htx-c`` and ``HTX-C`` are one seller to a person, so they are one code

Codes are stored upper-case from now on and matched in any case. Codes already stored are upper-cased
(and so are the sellers named in daemon requests not yet taken up). Two sellers whose codes differ only
in case cannot both be kept: the migration then changes nothing and stops, naming them, so that a
person renames one (their products, accounts and orders stay attached by id, not by code).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.errors import ConfigError

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_seller = sa.table("seller", sa.column("id", sa.Integer), sa.column("code", sa.String))
_request = sa.table("job_request", sa.column("seller", sa.String))


def upgrade() -> None:
    conn = op.get_bind()
    codes = list(conn.execute(sa.select(_seller.c.code).order_by(_seller.c.code)).scalars())
    by_upper: dict[str, list[str]] = {}
    for code in codes:
        by_upper.setdefault(code.upper(), []).append(code)
    clashes = [same for same in by_upper.values() if len(same) > 1]
    if clashes:
        named = "; ".join(" and ".join(same) for same in clashes)
        raise ConfigError(
            f"seller codes now ignore case, and these sellers' codes differ only in case: {named}; nothing was changed",
            hint="rename one of each pair in the database (UPDATE seller SET code = 'NEW-CODE' WHERE code = "
            "'old-code'; its products, accounts and orders follow it), then run chosync again",
        )
    # Row by row, by id: upper-casing them all in one statement could meet a unique check half-way on
    # some databases; no two of them clash once upper-cased (checked above).
    for seller_id, code in conn.execute(sa.select(_seller.c.id, _seller.c.code)).all():
        if code != code.upper():
            conn.execute(sa.update(_seller).where(_seller.c.id == seller_id).values(code=code.upper()))
    op.execute(
        sa.update(_request).where(_request.c.seller.is_not(None)).values(seller=sa.func.upper(_request.c.seller))
    )


def downgrade() -> None:
    """Nothing to undo: an upper-case code is a valid code for the schema before."""
