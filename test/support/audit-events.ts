import type { Api } from './api.js';

export interface SeenEvent {
  readonly seq: number;
  /** The node that wrote it. */
  readonly node: string;
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly result: 'success' | 'failure';
  readonly code?: string;
  readonly details?: Record<string, unknown>;
}

/** Every audit event matching `filter` (query parameters of GET /v1/audit/events), all pages. */
export async function auditEvents(api: Api, token: string, filter: Record<string, string> = {}): Promise<SeenEvent[]> {
  const events: SeenEvent[] = [];
  let after = 0;
  for (;;) {
    const query = new URLSearchParams({ ...filter, after: String(after), limit: '1000' });
    const page = await api.call<{ events: SeenEvent[]; more: boolean }>('GET', `/v1/audit/events?${query}`, { token });
    if (page.status !== 200) throw new Error(`audit events: ${page.text}`);
    events.push(...page.body.events);
    if (!page.body.more || page.body.events.length === 0) return events;
    after = page.body.events[page.body.events.length - 1]!.seq;
  }
}

/** How many events have this action, result and code. */
export function count(events: readonly SeenEvent[], action: string, result: string, code?: string): number {
  return events.filter((event) => event.action === action && event.result === result && event.code === code).length;
}
