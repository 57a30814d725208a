/** Table types for Kysely; one interface per table, column names as in SQL. */
export interface MetaTable {
  key: string;
  value: string;
}

export interface Schema {
  meta: MetaTable;
}
