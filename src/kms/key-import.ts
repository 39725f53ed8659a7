import type { KeyObject } from 'node:crypto';
import { checkValue } from '../crypto/keys/check-value.js';
import { exportKeyMaterial, importKeyMaterial } from '../crypto/keys/material.js';
import { keyTypeProvider } from '../crypto/keys/registry.js';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import type { ImportPolicy } from '../keys/key-import.js';
import { keyImportPath, type KeyRepository } from '../keys/key-repository.js';
import type { KeyService } from '../keys/key-service.js';
import { creationAttributes } from '../keys/key-service.js';
import type { Admission } from '../keys/key-use-gate.js';
import type { KeyRecord, KeyState } from '../objects/key-record.js';
import type { KmsImportedMaterial, KmsMetadata } from '../objects/kms-metadata.js';
import { refuseAudited } from '../records/audited-refusal.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';
import {
  decodeImportRecord,
  encodeImportRecord,
  fingerprintOf,
  sameMaterial,
  type ImportRecord,
} from './import-record.js';
import {
  formatToken,
  IMPORTABLE_SPECS,
  importedMaterial,
  materialRefusal,
  newTokenId,
  PARAMETERS_LIFETIME_MS,
  tokenRefusal,
  WRAPPING_ALGORITHMS,
  WRAPPING_KEY_SPECS,
} from './import-rules.js';

export interface KmsKeyImportDeps {
  readonly keys: Pick<KeyService, 'createPendingImport'>;
  readonly repository: Pick<KeyRepository, 'replace'>;
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** The cluster policy, read at each call: imported material is a secret value from outside. */
  readonly policy: () => Promise<ImportPolicy>;
  readonly clock: () => Date;
}

export interface ImportRequest {
  readonly token: Buffer;
  readonly encrypted: Buffer;
  readonly expirationModel?: string;
  readonly validTo?: Date;
}

/** The states each step takes a key in; the others are KMSInvalidStateException. */
const STEP_STATES: Readonly<Record<'parameters' | 'import' | 'delete', readonly KeyState[]>> = {
  parameters: ['pending-import', 'enabled', 'disabled'],
  import: ['pending-import', 'enabled', 'disabled'],
  delete: ['enabled', 'disabled'],
};

/**
 * KMS imported key material (Origin EXTERNAL), inside the boundary: a key made without material,
 * a fresh RSA wrapping key per GetParametersForImport (sealed in the key's import record, never
 * answered), ImportKeyMaterial unwrapping with it here, and DeleteImportedKeyMaterial. Material
 * counts as a secret value from outside the node, so the cluster's import policy governs it as
 * it governs plaintext import. Each step is the key owner's, audited, and the import and the
 * deletion consume the key's key-management quorum in their own commit.
 */
export class KmsKeyImport {
  constructor(private readonly deps: KmsKeyImportDeps) {}

  /** CreateKey with Origin EXTERNAL: a secret key of the spec's type, pending import. */
  async createExternal(
    session: Session,
    kms: KmsMetadata,
    attributes: Readonly<Record<string, boolean>> | undefined,
  ): Promise<KeyRecord> {
    const event = { actor: session.username, action: 'kms.create-key', details: { origin: 'EXTERNAL' } };
    const row = IMPORTABLE_SPECS[kms.keySpec];
    if (!row)
      return refuseAudited(this.deps.writer, event, 'KMS_OPERATION_UNSUPPORTED', `Origin EXTERNAL for ${kms.keySpec}`);
    await this.requirePolicy(event);
    return this.deps.keys.createPendingImport(
      session,
      {
        keyType: row.keyType,
        label: '',
        id: '',
        attributes: creationAttributes('secret', attributes, { generatedHere: false }),
        shape: { valueLen: row.min },
        kms: { ...kms, origin: 'EXTERNAL' },
      },
      'kms.create-key',
    );
  }

  /** GetParametersForImport: a new wrapping key pair; its private half replaces any earlier one. */
  async parameters(
    session: Session,
    admitted: Admission,
    wrappingAlgorithm: string,
    wrappingKeySpec: string,
  ): Promise<{ publicKey: Buffer; token: Buffer; validTo: string }> {
    const { record } = admitted;
    const event = this.event(session, 'kms.get-parameters-for-import', record);
    await this.requireStep(event, record, 'parameters');
    const algorithm = WRAPPING_ALGORITHMS[wrappingAlgorithm];
    const modulusBits = WRAPPING_KEY_SPECS[wrappingKeySpec];
    if (!algorithm || modulusBits === undefined)
      throw new CofferError('INVALID_FIELD', 'an unknown WrappingAlgorithm or WrappingKeySpec');
    await this.requirePolicy(event);
    const pair = await keyTypeProvider('rsa').generatePair!({ keyType: 'rsa', modulusBits });
    const current = await this.load(record.handle);
    const tokenId = newTokenId();
    const expiresAt = new Date(this.deps.clock().getTime() + PARAMETERS_LIFETIME_MS).toISOString();
    const next: ImportRecord = {
      ...current.record,
      parameters: { tokenId: tokenId.toString('hex'), wrappingAlgorithm, wrappingKeySpec, expiresAt },
    };
    const wrappingKey = exportKeyMaterial(pair.privateKey);
    try {
      await this.deps.writer.commit({
        compares: [current.compare],
        changes: [this.put(record.handle, next, wrappingKey)],
        event: { ...event, result: 'success', details: { wrappingAlgorithm, wrappingKeySpec } },
      });
    } finally {
      wrappingKey.fill(0);
    }
    const publicKey = pair.publicKey.export({ type: 'spki', format: 'der' });
    return { publicKey, token: formatToken(record.handle, tokenId), validTo: expiresAt };
  }

  /**
   * ImportKeyMaterial: the token must be this key's outstanding one and unexpired; the material
   * is unwrapped here with its wrapping key, must fit the spec, and must be the material first
   * imported, if any was. The key is then enabled (or keeps its state, for a re-import that
   * changes only the expiry); the wrapping key is discarded in the same commit.
   */
  async importMaterial(session: Session, admitted: Admission, request: ImportRequest): Promise<KeyRecord> {
    const { record } = admitted;
    const event = this.event(session, 'kms.import-key-material', record);
    const refuse = (code: ErrorCode, detail: string): Promise<never> =>
      refuseAudited(this.deps.writer, event, code, detail);
    await this.requireStep(event, record, 'import');
    await this.requirePolicy(event);
    const now = this.deps.clock();
    const current = await this.load(record.handle);
    try {
      return await this.importWith(session, admitted, current, request, now, refuse);
    } finally {
      current.wrappingKey.fill(0);
    }
  }

  private async importWith(
    session: Session,
    admitted: Admission,
    current: Awaited<ReturnType<KmsKeyImport['load']>>,
    request: ImportRequest,
    now: Date,
    refuse: (code: ErrorCode, detail: string) => Promise<never>,
  ): Promise<KeyRecord> {
    const { record, loaded } = admitted;
    const event = this.event(session, 'kms.import-key-material', record);
    const { parameters, fingerprint } = current.record;
    const tokenRefused = tokenRefusal(request.token, record.handle, parameters, now);
    if (tokenRefused) return refuse(tokenRefused.code, tokenRefused.detail);
    const expiry = importedMaterial(request.expirationModel, request.validTo, now);
    if (!expiry.ok) throw new CofferError(expiry.code, expiry.detail);
    const material = await this.unwrap(current.wrappingKey, parameters!.wrappingAlgorithm, request.encrypted, refuse);
    try {
      const misfit = materialRefusal(record.kms!.keySpec, material.length);
      if (misfit) return await refuse(misfit.code, misfit.detail);
      if (fingerprint && !sameMaterial(fingerprint, material))
        return await refuse('KMS_KEY_MATERIAL_INCORRECT', 'not the material first imported into this key');
      const key = importKeyMaterial('secret', record.keyType, material);
      const next = withMaterial(record, key, expiry.imported, now);
      const kept: ImportRecord = { fingerprint: fingerprint ?? fingerprintOf(material) };
      const planned = this.deps.repository.replace(loaded, next, key);
      const approval = await admitted.approval();
      await this.deps.writer.commit({
        compares: [current.compare, ...planned.compares, ...(approval?.compares ?? [])],
        changes: [...planned.changes, this.put(record.handle, kept, Buffer.alloc(0)), ...(approval?.changes ?? [])],
        event: {
          ...event,
          result: 'success',
          details: { state: next.state, ...expiryDetails(expiry.imported), ...approval?.details },
        },
      });
      return next;
    } finally {
      material.fill(0);
    }
  }

  /** DeleteImportedKeyMaterial (or its expiry): the key keeps its metadata and waits for the same material. */
  async deleteMaterial(session: Session, admitted: Admission, reason: 'requested' | 'expired'): Promise<KeyRecord> {
    const { record, loaded } = admitted;
    const event = this.event(session, 'kms.delete-imported-key-material', record);
    await this.requireStep(event, record, 'delete');
    const { imported: _imported, ...kms } = record.kms!;
    const { materialValidTo: _validTo, ...kept } = record;
    const next: KeyRecord = {
      ...kept,
      state: 'pending-import',
      checkValue: '',
      kms,
      updatedAt: this.deps.clock().toISOString(),
    };
    const planned = this.deps.repository.replace(loaded, next);
    const approval = await admitted.approval();
    await this.deps.writer.commit({
      compares: [...planned.compares, ...(approval?.compares ?? [])],
      changes: [...planned.changes, ...(approval?.changes ?? [])],
      event: { ...event, result: 'success', details: { reason, ...approval?.details } },
    });
    return next;
  }

  private event(session: Session, action: string, record: KeyRecord) {
    return { actor: session.username, action, target: `key/${record.handle}` };
  }

  private async requireStep(
    event: ReturnType<KmsKeyImport['event']>,
    record: KeyRecord,
    step: keyof typeof STEP_STATES,
  ): Promise<void> {
    if (record.kms?.origin !== 'EXTERNAL')
      await refuseAudited(this.deps.writer, event, 'KMS_OPERATION_UNSUPPORTED', "the key's Origin is not EXTERNAL");
    if (!STEP_STATES[step].includes(record.state))
      await refuseAudited(this.deps.writer, event, 'KMS_INVALID_STATE', `the key is ${record.state}`);
  }

  private async requirePolicy(event: { actor: string; action: string }): Promise<void> {
    if ((await this.deps.policy()).allowPlaintextImport) return;
    await refuseAudited(
      this.deps.writer,
      event,
      'IMPORT_NOT_ALLOWED',
      'imported key material is a secret value from outside the node',
    );
  }

  /** The key's import record (empty when none yet), the wrapping key's bytes copied out, and its compare. */
  private async load(handle: string): Promise<{ record: ImportRecord; wrappingKey: Buffer; compare: Compare }> {
    const path = keyImportPath(handle);
    const opened = await this.deps.reader.get(path, 'key-import');
    if (!opened) return { record: {}, wrappingKey: Buffer.alloc(0), compare: { key: path, modRevision: 0 } };
    try {
      const decoded = decodeImportRecord(opened.plaintext);
      return {
        record: decoded.record,
        wrappingKey: Buffer.from(decoded.wrappingKey),
        compare: { key: path, modRevision: opened.modRevision },
      };
    } finally {
      opened.plaintext.fill(0);
    }
  }

  private put(handle: string, record: ImportRecord, wrappingKey: Buffer): Change {
    return {
      type: 'put',
      path: keyImportPath(handle),
      kind: 'key-import',
      plaintext: encodeImportRecord(record, wrappingKey),
    };
  }

  /** The material, unwrapped with the parameters' private key; InvalidCiphertextException when it does not unwrap. */
  private async unwrap(
    wrappingKeyBytes: Buffer,
    wrappingAlgorithm: string,
    encrypted: Buffer,
    refuse: (code: ErrorCode, detail: string) => Promise<never>,
  ): Promise<Buffer> {
    const algorithm = WRAPPING_ALGORITHMS[wrappingAlgorithm]!;
    let wrappingKey: KeyObject;
    try {
      wrappingKey = importKeyMaterial('private', 'rsa', wrappingKeyBytes);
    } finally {
      wrappingKeyBytes.fill(0);
    }
    try {
      return await mechanismOfKind(algorithm.mechanism, 'wrap').unwrap(wrappingKey, encrypted, {
        hash: algorithm.hash,
      });
    } catch (error) {
      if (isCofferError(error, 'ENCRYPTED_DATA_INVALID') || isCofferError(error, 'DATA_LEN_RANGE'))
        return refuse('KMS_CIPHERTEXT_INVALID', `the material does not unwrap with ${wrappingAlgorithm}`);
      throw error;
    }
  }
}

/** The key record holding imported material: enabled if it was pending import, with its expiry. */
function withMaterial(record: KeyRecord, key: KeyObject, imported: KmsImportedMaterial, now: Date): KeyRecord {
  const { materialValidTo: _validTo, ...rest } = record;
  return {
    ...rest,
    state: record.state === 'pending-import' ? 'enabled' : record.state,
    checkValue: checkValue(key, record.keyType).toString('hex'),
    shape: keyTypeProvider(record.keyType).shape(key),
    ...(imported.validTo !== undefined && { materialValidTo: imported.validTo }),
    kms: { ...record.kms!, imported },
    updatedAt: now.toISOString(),
  };
}

function expiryDetails(imported: KmsImportedMaterial): Record<string, string> {
  return {
    expirationModel: imported.expirationModel,
    ...(imported.validTo !== undefined && { validTo: imported.validTo }),
  };
}
