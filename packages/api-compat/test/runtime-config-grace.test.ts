import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../src/runtime/config.js';

describe('COLINK_PEER_GRACE_MS', () => {
  it('sets the grace period of the peer connections in ms; unset leaves core’s default', () => {
    expect(configFromEnv({ COLINK_PEER_GRACE_MS: '1500' }).peerGraceMs).toBe(1500);
    expect(configFromEnv({ COLINK_PEER_GRACE_MS: '0' }).peerGraceMs).toBe(0);
    expect(configFromEnv({}).peerGraceMs).toBeUndefined();
  });

  it.each(['abc', '-1', '1.5', '1e3', ' '])('rejects %j with ERR_INVALID_ARGUMENT', (v) => {
    expect(() => configFromEnv({ COLINK_PEER_GRACE_MS: v })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
