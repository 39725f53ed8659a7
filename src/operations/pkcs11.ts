import { handle, object, wireTemplate } from '../api/schemas.js';
import { CofferError } from '../errors/coffer-error.js';
import { parseHandle } from '../objects/key-handle.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { classOfTemplate, generateSecretInput } from '../pkcs11/key-requests.js';
import { keyChangeRequest } from '../pkcs11/key-changes.js';
import { findObjects } from '../pkcs11/find.js';
import { newObjectAttributes, planObjectChange, withoutIdentity } from '../pkcs11/object-attributes.js';
import { attributesOf, objectPath, type FoundObject } from '../pkcs11/object-service.js';
import { answerAttributes, projection } from '../pkcs11/projection.js';
import { decodeTemplate, type WireAttribute } from '../pkcs11/value-codec.js';
import type { Session } from '../identity/sessions.js';
import { generateSymmetric, type SymmetricBody } from './keys.js';
import { operation } from './operation.js';
import { replayNothing, replayKeyHandle, replayObjectHandle } from './replays.js';
import type { Services } from './services.js';

/**
 * The operations only the PKCS#11 face runs (no /v1 route of their own): finding objects,
 * generating a secret key from a template, reading and changing keys' PKCS#11 attributes, and
 * the life of certificates and data objects. Everything else the face does runs the /v1
 * operations themselves (key.generate-pair, key.import, key.unwrap, key.derive, key.delete).
 * Permissions are the key rows of the permission table: making an object is an import
 * (C_CreateObject), changing one a set-attribute, destroying one a delete. Finding and
 * generating are also items of POST /v1/batch, so the module's calls on many threads can
 * travel together.
 */
interface FindInput {
  template: WireAttribute[];
  after?: string;
  limit?: number;
}

interface GenerateInput {
  mechanism: string;
  template: WireAttribute[];
}

interface ReadInput {
  handle: string;
  types: number[];
}

interface TemplateInput {
  handle: string;
  template: WireAttribute[];
}

const mechanism = { type: 'string', maxLength: 64 } as const;
const READ = { key: { role: 'read', field: 'handle' } } as const;
const MANAGE = { key: { role: 'manage', field: 'handle' } } as const;

/** The certificate or data object a handle names, or KEY_NOT_FOUND as for a key one may not see. */
async function visibleObject(services: Services, session: Session, handle: string): Promise<FoundObject> {
  const found = await services.objects.find(session, parseHandle(handle));
  if (!found) throw new CofferError('KEY_NOT_FOUND', 'no such object, or it is not yours to use');
  return found;
}

export const PKCS11_OPERATIONS = [
  operation<FindInput, Record<string, never>>({
    name: 'pkcs11.find-objects',
    summary: 'The objects the caller sees that match a template, in handle order (C_FindObjects)',
    policy: 'key.list',
    batch: 'pkcs11.find-objects',
    schema: {
      body: object({ template: wireTemplate, after: handle, limit: { type: 'integer', minimum: 1, maximum: 1000 } }, [
        'template',
      ]),
    },
    keys: {},
    async run({ services, session }, input) {
      const template = decodeTemplate(input.template);
      const page = {
        ...(input.after !== undefined && { after: parseHandle(input.after) }),
        limit: input.limit ?? 1000,
      };
      return { ...(await findObjects(services, session, template, page)) };
    },
  }),
  operation<GenerateInput, Record<string, never>>({
    name: 'pkcs11.generate-key',
    summary: 'Generate a secret key from a template (C_GenerateKey): key.generate-symmetric, from PKCS#11',
    policy: 'key.generate',
    batch: 'pkcs11.generate-key',
    schema: { body: object({ mechanism, template: wireTemplate }, ['mechanism', 'template']) },
    idempotent: replayKeyHandle,
    keys: {},
    async run({ services, session }, input) {
      const body = generateSecretInput(input.mechanism, decodeTemplate(input.template)) as SymmetricBody;
      return { handle: (await generateSymmetric(services, session, body)).handle };
    },
  }),
  operation<ReadInput, typeof READ>({
    name: 'pkcs11.read-key-attributes',
    summary: "A key's PKCS#11 attributes; its material is always sensitive (C_GetAttributeValue)",
    policy: 'key.read-attributes',
    schema: {},
    keys: READ,
    async run({ keys }, input) {
      const { record, key } = keys.key.loaded;
      return { attributes: answerAttributes(projection({ kind: 'key', record, key }), input.types) };
    },
  }),
  operation<ReadInput, Record<string, never>>({
    name: 'pkcs11.read-object-attributes',
    summary: "A certificate's or data object's attributes (C_GetAttributeValue)",
    policy: 'key.read-attributes',
    schema: {},
    keys: {},
    async run({ services, session }, input) {
      const { record } = await visibleObject(services, session, input.handle);
      return { attributes: answerAttributes(projection({ kind: 'object', record }), input.types) };
    },
  }),
  operation<TemplateInput, typeof MANAGE>({
    name: 'pkcs11.set-key-attributes',
    summary: "Change a key's attributes from a template, as the attribute table allows (C_SetAttributeValue)",
    policy: 'key.set-attribute',
    schema: {},
    idempotent: replayKeyHandle,
    keys: MANAGE,
    async run({ services, session, keys }, input) {
      const { record, key } = keys.key.loaded;
      const request = keyChangeRequest(
        record,
        projection({ kind: 'key', record, key }),
        decodeTemplate(input.template),
      );
      if (Object.keys(request).length === 0) return { handle: record.handle };
      return { handle: (await services.keyAttributes.set(session, keys.key, request)).handle };
    },
  }),
  operation<{ handle: string }, typeof READ>({
    name: 'key.copy',
    summary: 'Keys are never copied (C_CopyObject): a copy would escape its share list and quorum values',
    policy: 'key.import',
    schema: {},
    keys: READ,
    async run({ services, session, keys }) {
      const event = { actor: session.username, action: 'key.copy', target: `key/${keys.key.record.handle}` };
      return refuseAudited(services.writer, event, 'ACTION_PROHIBITED', 'keys are not copyable (CKA_COPYABLE false)');
    },
  }),
  operation<{ template: WireAttribute[] }, Record<string, never>>({
    name: 'object.create',
    summary: 'Create a certificate (CKC_X_509) or data object from a template (C_CreateObject)',
    policy: 'key.import',
    schema: {},
    idempotent: replayObjectHandle,
    keys: {},
    async run({ services, session }, input) {
      const template = decodeTemplate(input.template);
      const objectClass = classOfTemplate(template);
      if (objectClass !== 'certificate' && objectClass !== 'data')
        throw new CofferError('INTERNAL_ERROR', 'keys are made by key.import');
      const attributes = newObjectAttributes(objectClass, withoutIdentity(objectClass, template));
      const record = await services.objects.create(session, objectClass, attributes, 'object.create');
      return { handle: record.handle };
    },
  }),
  operation<TemplateInput, Record<string, never>>({
    name: 'object.set-attribute',
    summary: "Change a certificate's or data object's attributes, all or nothing (C_SetAttributeValue)",
    policy: 'key.set-attribute',
    schema: {},
    idempotent: replayObjectHandle,
    keys: {},
    async run({ services, session }, input) {
      const found = await visibleObject(services, session, input.handle);
      const objectClass = found.record.class;
      const template = withoutIdentity(objectClass, decodeTemplate(input.template));
      const plan = planObjectChange(objectClass, attributesOf(found.record), template);
      return { handle: (await services.objects.change(session, found, plan.attributes, plan.changed)).handle };
    },
  }),
  operation<TemplateInput, Record<string, never>>({
    name: 'object.copy',
    summary: 'Copy a certificate or data object, with changes from a template (C_CopyObject)',
    policy: 'key.import',
    schema: {},
    idempotent: replayObjectHandle,
    keys: {},
    async run({ services, session }, input) {
      const found = await visibleObject(services, session, input.handle);
      await services.objects.requireCopyable(session, found);
      const objectClass = found.record.class;
      const template = withoutIdentity(objectClass, decodeTemplate(input.template));
      const plan = planObjectChange(objectClass, attributesOf(found.record), template, 'copy');
      const details = { from: objectPath(found.record.handle) };
      const record = await services.objects.create(session, objectClass, plan.attributes, 'object.copy', details);
      return { handle: record.handle };
    },
  }),
  operation<{ handle: string }, Record<string, never>>({
    name: 'object.delete',
    summary: 'Destroy a certificate or data object: its owner, when destroyable (C_DestroyObject)',
    policy: 'key.delete',
    schema: {},
    idempotent: replayNothing,
    keys: {},
    async run({ services, session }, input) {
      await services.objects.delete(session, await visibleObject(services, session, input.handle));
      return undefined;
    },
  }),
];
