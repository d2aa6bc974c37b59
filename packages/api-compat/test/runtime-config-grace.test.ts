import { describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULT_UPGRADE_DIAL_MS } from '../src/runtime/config.js';

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

describe('COLINK_UPGRADE_DIAL_MS', () => {
  it('sets how often a better medium is dialled in ms; unset leaves the runtime default, 0 turns it off', () => {
    expect(configFromEnv({ COLINK_UPGRADE_DIAL_MS: '500' }).upgradeDialMs).toBe(500);
    expect(configFromEnv({ COLINK_UPGRADE_DIAL_MS: '0' }).upgradeDialMs).toBe(0);
    expect(configFromEnv({}).upgradeDialMs).toBeUndefined();
    expect(DEFAULT_UPGRADE_DIAL_MS).toBe(2_000);
  });

  it.each(['abc', '-1', '1.5'])('rejects %j with ERR_INVALID_ARGUMENT', (v) => {
    expect(() => configFromEnv({ COLINK_UPGRADE_DIAL_MS: v })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('COLINK_UPGRADE_DIAL_MS'),
      }),
    );
  });
});
