"""advance VAT invoices: a document kind of its own (счёт-фактура на аванс), numbered with the счета-фактуры

Revision ID: a7d4c2e9f130
Revises: 42ce166c4f4a
Create Date: 2026-12-02 13:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d4c2e9f130'
down_revision = '42ce166c4f4a'
branch_labels = None
depends_on = None

OLD = "kind IN ('invoice', 'upd', 'vat_invoice', 'act', 'correction', 'statement')"
NEW = "kind IN ('invoice', 'upd', 'vat_invoice', 'act', 'correction', 'statement', 'advance_invoice')"


def _set_check(text):
    # On SQLite the table is rebuilt (the migration environment turns foreign keys off for that).
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('document', recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_document_document_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_document_document_kind'), text)
    if sqlite:
        # The rebuilt table lost its append-only triggers (3952cfca77a9): the same ones again.
        op.execute("""CREATE TRIGGER document_no_delete BEFORE DELETE ON document
        BEGIN SELECT RAISE(ABORT, 'document is append-only: DELETE refused'); END""")
        op.execute("""CREATE TRIGGER document_no_update BEFORE UPDATE ON document
        BEGIN SELECT RAISE(ABORT, 'document is append-only: UPDATE refused'); END""")


def upgrade():
    _set_check(NEW)


def downgrade():
    # Issued documents are never deleted: going back is refused while an advance invoice exists.
    if op.get_bind().exec_driver_sql("SELECT count(*) FROM document WHERE kind = 'advance_invoice'").scalar():
        raise RuntimeError('advance VAT invoices have been issued: the revision cannot be taken back')
    _set_check(OLD)
