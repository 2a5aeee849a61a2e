"""On PostgreSQL, make overlapping pools or subnets impossible in the database
itself (cidr columns + GiST exclusion constraints), so that two writers racing past
the application's checks can never both win. SQLite keeps the application checks
and the unique start address."""

from django.db import migrations

CONSTRAINTS = [
    ("resources_ippool", "resources_ippool_no_overlap"),
    ("resources_ipsubnet", "resources_ipsubnet_no_overlap"),
]


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in CONSTRAINTS:
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" EXCLUDE USING gist ("inet" inet_ops WITH &&)'
        )


def remove_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in CONSTRAINTS:
        schema_editor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(add_constraints, remove_constraints, elidable=False)]
