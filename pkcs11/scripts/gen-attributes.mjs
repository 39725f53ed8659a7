// Generates the C table of attribute types → wire kinds from the one list the node also reads
// (src/pkcs11/attribute-types.ts), so the module never carries a hand-made copy.
// Usage: node gen-attributes.mjs <attribute-types.ts> <out.h>
import { readFileSync, writeFileSync } from 'node:fs';

const KINDS = {
  bool: 'COFFER_ATTR_BOOL',
  ulong: 'COFFER_ATTR_ULONG',
  'ulong-list': 'COFFER_ATTR_ULONG_LIST',
  bytes: 'COFFER_ATTR_BYTES',
};

const [typesFile, outFile] = process.argv.slice(2);
if (!typesFile || !outFile) throw new Error('usage: gen-attributes.mjs <attribute-types.ts> <out.h>');
const source = readFileSync(typesFile, 'utf8');
const start = source.indexOf('export const PKCS11_ATTRIBUTE_TYPES = {');
const end = source.indexOf('} as const satisfies', start);
if (start < 0 || end < 0) throw new Error('no PKCS11_ATTRIBUTE_TYPES table');
const body = source.slice(start, end);
const entry = /^ {2}(CKA_[A-Z0-9_]+): \[(0x[0-9a-fA-F]+), '([a-z-]+)'\],$/gm;
const rows = [];
const seen = new Set();
for (const match of body.matchAll(entry)) {
  const [, name, value, kind] = match;
  if (!(kind in KINDS)) throw new Error(`${name}: unknown kind ${kind}`);
  const type = BigInt(value);
  if (seen.has(type)) throw new Error(`${name}: ${value} listed twice`);
  seen.add(type);
  rows.push({ name, type, kind });
}
const declared = [...body.matchAll(/^ {2}(CKA_[A-Z0-9_]+):/gm)].length;
if (rows.length === 0 || rows.length !== declared) throw new Error(`parsed ${rows.length} of ${declared} types`);
rows.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)); // the module searches it in halves
const lines = rows.map(({ name, type, kind }) => `  {0x${type.toString(16)}UL, ${KINDS[kind]}}, /* ${name} */`);
writeFileSync(
  outFile,
  `/* Generated from src/pkcs11/attribute-types.ts by pkcs11/scripts/gen-attributes.mjs: do not edit. */\n` +
    `static const struct coffer_attribute_row COFFER_ATTRIBUTES[] = {\n${lines.join('\n')}\n};\n`,
);
