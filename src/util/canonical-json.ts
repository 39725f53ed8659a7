/**
 * Canonical JSON: object keys sorted, no whitespace, so the same value always hashes the same.
 * Only JSON values (no undefined, functions or non-finite numbers) are accepted. An object
 * member whose value is undefined is left out, as JSON.stringify leaves it out, so a value
 * hashes the same before it is stored and after it is read back.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`);
    return `{${entries.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number');
  const text: string | undefined = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`not a JSON value (${typeof value})`);
  return text;
}
