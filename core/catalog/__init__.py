"""The canonical catalog: products and variants as plain records, their import, export and queries."""
