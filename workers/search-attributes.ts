import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SA } from '../lib/search-attributes';
import type { TemporalConnectionOptions } from '../config/temporal';

const INDEXED_TYPE: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
};

/**
 * Registers any of our search attributes the namespace lacks. A server started by an older
 * `mlgym server` would otherwise fail every workflow task that sets a newer attribute.
 */
export async function ensureSearchAttributes(connectionOptions: TemporalConnectionOptions, namespace: string): Promise<string[]> {
  const connection = await Connection.connect(connectionOptions);
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = Object.values(SA).filter((key) => !known.has(key.name));
    if (missing.length === 0) return [];
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPE[key.type]])),
    });
    return missing.map((key) => key.name);
  } finally {
    await connection.close();
  }
}
