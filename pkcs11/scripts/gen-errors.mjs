// Generates the C table of node error codes → CKR_ values from the one error registry
// (src/errors/registry.ts, its `ckr` column), so the module never carries a hand-made copy.
// Usage: node gen-errors.mjs <registry.ts> <out.h>
import { readFileSync, writeFileSync } from 'node:fs';

const [registryFile, outFile] = process.argv.slice(2);
if (!registryFile || !outFile) throw new Error('usage: gen-errors.mjs <registry.ts> <out.h>');
const source = readFileSync(registryFile, 'utf8');
const body = source.slice(source.indexOf('export const ERRORS = {'), source.indexOf('} as const satisfies'));
const entry = /^ {2}([A-Z][A-Z0-9_]*): \{([\s\S]*?)\},?$/gm;
const rows = [];
for (const match of body.matchAll(entry)) {
  const ckr = /ckr: '(CKR_[A-Z0-9_]+)'/.exec(match[2]);
  if (!ckr) throw new Error(`${match[1]}: no ckr column`);
  rows.push([match[1], ckr[1]]);
}
const declared = [...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*): \{/gm)].length;
if (rows.length === 0 || rows.length !== declared) throw new Error(`parsed ${rows.length} of ${declared} errors`);
const lines = rows.map(([code, ckr]) => `  {"${code}", ${ckr}},`);
writeFileSync(
  outFile,
  `/* Generated from src/errors/registry.ts by pkcs11/scripts/gen-errors.mjs: do not edit. */\n` +
    `static const struct coffer_error_row COFFER_ERRORS[] = {\n${lines.join('\n')}\n};\n`,
);
