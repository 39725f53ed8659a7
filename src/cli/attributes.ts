import { KEY_ATTRIBUTE_NAMES, type KeyAttributeName, type KeyAttributes, type KeyClass } from '../client/index.js';
import { CliError } from './errors.js';

/** CloudHSM CLI spells attributes in kebab case (`wrap-with-trusted`); the API in camel case. */
export function toCamel(name: string): string {
  return name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

export function toKebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

const NAMES: ReadonlySet<string> = new Set(KEY_ATTRIBUTE_NAMES);

/** The API name of a CLI boolean attribute name, or undefined when there is none. */
export function attributeName(cliName: string): KeyAttributeName | undefined {
  const camel = toCamel(cliName.toLowerCase());
  return NAMES.has(camel) ? (camel as KeyAttributeName) : undefined;
}

export function parseBoolean(value: string, what: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new CliError('INVALID_ARGUMENT', `${what} must be true or false, not "${value}"`);
}

/** Parses `encrypt=true decrypt=false …` (CloudHSM's `--attributes`) into API attributes. */
export function parseAttributeList(
  tokens: readonly string[] | undefined,
  option = '--attributes',
): KeyAttributes | undefined {
  if (tokens === undefined || tokens.length === 0) return undefined;
  const attributes: KeyAttributes = {};
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq <= 0) throw new CliError('INVALID_ARGUMENT', `${option}: expected NAME=true|false, got "${token}"`);
    const cliName = token.slice(0, eq);
    const name = attributeName(cliName);
    if (name === undefined) {
      throw new CliError(
        'INVALID_ARGUMENT',
        `${option}: unknown attribute "${cliName}" (known: ${KEY_ATTRIBUTE_NAMES.map(toKebab).join(', ')})`,
      );
    }
    if (name in attributes) throw new CliError('INVALID_ARGUMENT', `${option}: attribute "${cliName}" given twice`);
    attributes[name] = parseBoolean(token.slice(eq + 1), `${option} ${cliName}`);
  }
  return attributes;
}

const CLASS_NAMES: Readonly<Record<string, KeyClass>> = {
  'secret-key': 'secret',
  'private-key': 'private',
  'public-key': 'public',
  secret: 'secret',
  private: 'private',
  public: 'public',
};

/** CloudHSM class names (`secret-key|private-key|public-key`) to the API's. */
export function parseKeyClass(value: string): KeyClass {
  const keyClass = CLASS_NAMES[value.toLowerCase()];
  if (keyClass === undefined)
    throw new CliError('INVALID_ARGUMENT', `attr.class must be secret-key, private-key or public-key, not "${value}"`);
  return keyClass;
}

export function cloudHsmClass(keyClass: KeyClass): string {
  return `${keyClass}-key`;
}
