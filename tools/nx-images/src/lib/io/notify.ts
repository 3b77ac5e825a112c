import { setTimeout as wait } from 'node:timers/promises';
import { endpointName, notificationUrl, notificationVerdict } from '../core/publish/publish';

/**
 * Calls the notification endpoints (IMAGE_NOTIFY_URLS) for one image and
 * tag: `GET <endpoint>?image=<name>&tag=<tag>`. The endpoints are secrets: no
 * message names one by its text, only by its position.
 */

export interface NotifyOptions {
  fetch?: typeof fetch;
  /** Tries per endpoint, the first included; default 4. */
  attempts?: number;
  /** Wait before try n + 1 is `baseDelayMs * 2^(n-1)`; default 1000. */
  baseDelayMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

export interface NotifyResult {
  /** Endpoints that answered 2xx or 404. */
  accepted: number;
  /** One line per endpoint that did not, naming the image and the endpoint's position. */
  failures: string[];
}

/** Why a call did not get an answer, without the URL (undici puts the address in some messages). */
function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return 'no answer';
}

export async function notifyEndpoints(endpoints: readonly URL[], image: string, tag: string, options: NotifyOptions = {}): Promise<NotifyResult> {
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const sleep = options.sleep ?? wait;
  const log = options.log ?? (() => undefined);
  const result: NotifyResult = { accepted: 0, failures: [] };
  for (const [index, endpoint] of endpoints.entries()) {
    const name = endpointName(index, endpoints.length);
    const url = notificationUrl(endpoint, image, tag);
    let last = '';
    let accepted = false;
    let tries = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      tries = attempt;
      let verdict: ReturnType<typeof notificationVerdict>;
      try {
        // No redirect is followed: a secret URL's request goes where it says, or nowhere.
        const response = await doFetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
        await response.arrayBuffer().catch(() => undefined);
        verdict = notificationVerdict(response.status);
        last = `HTTP ${response.status}`;
      } catch (error) {
        verdict = 'retry';
        last = causeCode(error);
      }
      if (verdict === 'accepted') {
        accepted = true;
        break;
      }
      if (verdict === 'refused' || attempt === attempts) break;
      const delay = baseDelayMs * 2 ** (attempt - 1);
      log(`${image}:${tag}: ${name} answered ${last}; trying again in ${delay} ms (${attempt}/${attempts - 1})`);
      await sleep(delay);
    }
    if (accepted) {
      result.accepted++;
      log(`${image}:${tag}: ${name} notified`);
    } else {
      result.failures.push(`${image}:${tag}: ${name} failed (${last}${tries > 1 ? ` after ${tries} tries` : ''}): check that secret and the service behind it, then run again.`);
    }
  }
  return result;
}
