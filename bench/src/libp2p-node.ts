import './with-resolvers.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { tcp } from '@libp2p/tcp';
import { createLibp2p, type Libp2p } from 'libp2p';

/**
 * Inbound connections per second one host may open before libp2p drops them (default 5, a DoS guard): the connect
 * bench dials 20 in a row from 127.0.0.1, so the guard is lifted — it measures setup cost, not rate limiting.
 */
const INBOUND_CONNECTIONS_PER_SECOND = 1_000;

/**
 * A js-libp2p node as a user would configure it for the comparison: TCP on 127.0.0.1 (ephemeral port), Noise XX
 * (ChaCha20-Poly1305) and yamux, no discovery, no identify/ping services, the inbound rate guard lifted (above).
 * Listens on loopback only.
 */
export async function createLibp2pNode(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_SECOND },
  });
}
