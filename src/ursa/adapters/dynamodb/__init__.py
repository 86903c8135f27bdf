"""DynamoDB adapters: one table, overloaded GSIs, every access pattern one Query or GetItem
(docs/adr/0006-dynamodb-table-design.md)."""
