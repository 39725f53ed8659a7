import type { FastifyInstance } from 'fastify';
import { CofferError } from '../../errors/coffer-error.js';
import type { ImportInput } from '../../keys/key-import.js';
import { sessionOf } from '../auth.js';
import { decodeBase64 } from '../base64.js';
import { keyTemplate, KEY_TEMPLATE_SCHEMA, type KeyTemplateFields } from '../key-template.js';
import { base64, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

interface ImportBody extends KeyTemplateFields {
  pem?: string;
  der?: string;
  keyType?: string;
  value?: string;
}

/** POST /v1/keys/import (CloudHSM CLI `key import pem`; C_CreateObject with a key value). */
export function keyImportRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: ImportBody }>(
    '/v1/keys/import',
    {
      config: { operation: 'key.import' },
      schema: {
        body: object(
          {
            pem: { type: 'string', maxLength: 65_536 },
            der: base64,
            keyType: { type: 'string', maxLength: 32 },
            value: base64,
            ...KEY_TEMPLATE_SCHEMA,
          },
          [],
        ),
      },
    },
    async (request, reply) => {
      const { body } = request;
      const key = await services.keyImport.import(sessionOf(request), importInput(body), keyTemplate(body));
      return reply.code(201).send({ key });
    },
  );
}

/** Exactly one of `pem`, `der`, or `keyType` with `value`. */
function importInput(body: ImportBody): ImportInput {
  const given = [body.pem, body.der, body.value].filter((field) => field !== undefined).length;
  if (given !== 1) throw new CofferError('INVALID_FIELD', 'body: exactly one of pem, der, or keyType with value');
  if (body.keyType !== undefined && body.value === undefined) {
    throw new CofferError('INVALID_FIELD', 'body.keyType goes with value (a PEM or DER names its own key type)');
  }
  if (body.pem !== undefined) return { pem: body.pem };
  if (body.der !== undefined) return { der: decodeBase64(body.der, 'der') };
  if (body.keyType === undefined) throw new CofferError('MISSING_FIELD', 'body.keyType');
  return { keyType: body.keyType, value: decodeBase64(body.value as string, 'value') };
}
