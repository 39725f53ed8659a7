/** One node the SDK may send to: its origin and, when known, its zone label. */
export interface EndpointSpec {
  readonly url: string;
  readonly zone?: string;
}

/**
 * An endpoint as given: `https://host:port`, `https://host:port#zone` (the fragment, which is
 * never sent, names the node's zone), or `{url, zone}`.
 */
export type EndpointInput = string | EndpointSpec;

export function parseEndpoint(input: EndpointInput): EndpointSpec {
  const text = typeof input === 'string' ? input : input.url;
  const url = new URL(text);
  if (url.protocol !== 'https:') throw new TypeError(`endpoint ${text} must be an https:// URL`);
  const zone = typeof input === 'string' ? decodeURIComponent(url.hash.slice(1)) : input.zone;
  return { url: url.origin, ...(zone !== undefined && zone !== '' && { zone }) };
}
