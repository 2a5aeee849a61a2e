"""On PostgreSQL, the database itself refuses to change a validated invoice, its
lines or a validated credit note, whoever asks (an ORM bug, a script, psql).

Models refuse too (on every database), but an UPDATE or DELETE that goes around them
is caught only here. Errors use SQLSTATE 23001 (restrict_violation), which Django
raises as IntegrityError.
"""

from django.db import migrations

INVOICE_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_invoice_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.validated_at IS NOT NULL THEN
            RAISE EXCEPTION 'invoice % is validated: it cannot be deleted (issue a credit note)', OLD.number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.validated_at IS NOT NULL AND (
        NEW.number IS DISTINCT FROM OLD.number
        OR NEW.member_id IS DISTINCT FROM OLD.member_id
        OR NEW.date IS DISTINCT FROM OLD.date
        OR NEW.date_due IS DISTINCT FROM OLD.date_due
        OR NEW.validated_at IS DISTINCT FROM OLD.validated_at
        OR NEW.total IS DISTINCT FROM OLD.total
    ) THEN
        RAISE EXCEPTION 'invoice % is validated: only its status and PDF may change', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# FOR SHARE waits for a validation in progress on the same invoice (which holds the
# row with FOR NO KEY UPDATE), then sees it: a line cannot slip into an invoice that
# is being validated.
DETAIL_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_invoicedetail_immutable() RETURNS trigger AS $$
DECLARE
    validated timestamptz;
    invoice_number varchar;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT validated_at, number INTO validated, invoice_number
            FROM billing_invoice WHERE id = OLD.invoice_id FOR SHARE;
        IF validated IS NOT NULL THEN
            RAISE EXCEPTION 'invoice % is validated: its lines cannot change', invoice_number
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT validated_at, number INTO validated, invoice_number
            FROM billing_invoice WHERE id = NEW.invoice_id FOR SHARE;
        IF validated IS NOT NULL THEN
            RAISE EXCEPTION 'invoice % is validated: no line can be added to it', invoice_number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""

CREDIT_NOTE_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_creditnote_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.validated_at IS NOT NULL THEN
            RAISE EXCEPTION 'credit note % is validated: it cannot be deleted', OLD.number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.validated_at IS NOT NULL AND (
        NEW.number IS DISTINCT FROM OLD.number
        OR NEW.invoice_id IS DISTINCT FROM OLD.invoice_id
        OR NEW.member_id IS DISTINCT FROM OLD.member_id
        OR NEW.date IS DISTINCT FROM OLD.date
        OR NEW.amount IS DISTINCT FROM OLD.amount
        OR NEW.validated_at IS DISTINCT FROM OLD.validated_at
    ) THEN
        RAISE EXCEPTION 'credit note % is validated: only its PDF may change', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

FORWARD = [
    INVOICE_FUNCTION,
    """CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE OR DELETE ON billing_invoice
       FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable();""",
    DETAIL_FUNCTION,
    """CREATE TRIGGER billing_invoicedetail_immutable BEFORE INSERT OR UPDATE OR DELETE
       ON billing_invoicedetail FOR EACH ROW EXECUTE FUNCTION billing_invoicedetail_immutable();""",
    CREDIT_NOTE_FUNCTION,
    """CREATE TRIGGER billing_creditnote_immutable BEFORE UPDATE OR DELETE ON billing_creditnote
       FOR EACH ROW EXECUTE FUNCTION billing_creditnote_immutable();""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS billing_creditnote_immutable ON billing_creditnote;",
    "DROP FUNCTION IF EXISTS billing_creditnote_immutable();",
    "DROP TRIGGER IF EXISTS billing_invoicedetail_immutable ON billing_invoicedetail;",
    "DROP FUNCTION IF EXISTS billing_invoicedetail_immutable();",
    "DROP TRIGGER IF EXISTS billing_invoice_immutable ON billing_invoice;",
    "DROP FUNCTION IF EXISTS billing_invoice_immutable();",
]


class PostgreSQLOnlyRunSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases (SQLite relies on the models)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_ledger_totals")]

    operations = [PostgreSQLOnlyRunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
