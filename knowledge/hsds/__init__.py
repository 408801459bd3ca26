"""Open Referral HSDS 3.0 exchange for the program catalog.

HSDS (the Human Services Data Specification) is how 211s and open data portals exchange directories of services.
`export_package` writes the catalog as an HSDS tabular data package (``datapackage.json`` and one CSV per table) and
the same services as nested HSDS JSON (``services.json``); `import_package` reads either form back to `Program`
records, after checking it against the HSDS schema vendored in ``knowledge/data/hsds/``. docs/hsds.md has the
commands, the mapping and the rules.

The modules: `spec` (the vendored schema, columns, validators, ids), `mapping` (tables, taxonomies and codes both
directions share), `export` and `nesting` (catalog -> package), `reading` (either form -> checked rows), `assemble`
(rows -> programs) and `catalog_file` (the catalog side of an import).
"""

from knowledge.hsds.assemble import import_package
from knowledge.hsds.catalog_file import catalog_problems, catalog_yaml
from knowledge.hsds.export import build_package, export_package
from knowledge.hsds.mapping import FIELDS, TABLES, TAXONOMIES
from knowledge.hsds.nesting import nested_services
from knowledge.hsds.reading import Form, HSDSImportError, detect_form, validate_package
from knowledge.hsds.spec import HSDS_31_ONLY, HSDS_VERSION, NAMESPACE, SCHEMA_FILE

__all__ = [
    "FIELDS",
    "HSDS_31_ONLY",
    "HSDS_VERSION",
    "NAMESPACE",
    "SCHEMA_FILE",
    "TABLES",
    "TAXONOMIES",
    "Form",
    "HSDSImportError",
    "build_package",
    "catalog_problems",
    "catalog_yaml",
    "detect_form",
    "export_package",
    "import_package",
    "nested_services",
    "validate_package",
]
