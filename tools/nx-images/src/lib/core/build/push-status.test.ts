import { describe, expect, test } from 'vitest';
import { pushStatus } from './push-status';

describe('pushStatus', () => {
  test.each([
    ['0c3913fd0fc7: Pushed\nreceived unexpected HTTP status: 500 Internal Server Error\n', 500],
    ['error parsing HTTP 503 response body: invalid character \'<\' looking for beginning of value: "<html>"', 503],
    ['toomanyrequests: You have reached your pull rate limit', 429],
    ['received unexpected HTTP status: 502 Bad Gateway\nretrying\nreceived unexpected HTTP status: 500 Internal Server Error', 500],
    ['unauthorized: authentication required', undefined],
    ['denied: requested access to the resource is denied', undefined],
    ['An image does not exist locally with the tag: 127.0.0.1:5000/x', undefined],
    ['', undefined],
  ])('%j names %j', (output, expected) => {
    expect(pushStatus(output)).toBe(expected);
  });
});
