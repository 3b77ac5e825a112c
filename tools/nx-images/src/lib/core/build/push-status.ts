/**
 * The HTTP status a failed `docker push` says the registry answered, read
 * from what it printed: the client's "received unexpected HTTP status: 500
 * Internal Server Error" and "error parsing HTTP 503 response body", and the
 * registry's TOOMANYREQUESTS error code (429). The last one printed counts;
 * undefined when the output names none (a refused login, a daemon error).
 */
export function pushStatus(output: string): number | undefined {
  const matches = [...output.matchAll(/received unexpected HTTP status: ([1-5][0-9]{2})\b|error parsing HTTP ([1-5][0-9]{2}) response body|\btoomanyrequests\b/gi)];
  const last = matches.at(-1);
  return last ? Number(last[1] ?? last[2] ?? 429) : undefined;
}
