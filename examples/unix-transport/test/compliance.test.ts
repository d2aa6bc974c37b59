import { describeTransportCompliance } from '@colink/core/testing';
import { UnixTransport } from '../src/unix-transport.js';

// UnixTransport implements Transport only (no Discovery), so the suite skips its discovery check and says why.
describeTransportCompliance('unix', async () => ({ a: new UnixTransport(), b: new UnixTransport() }));
