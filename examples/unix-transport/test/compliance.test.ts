import { describeTransportCompliance } from '@colink/core/testing';
import { UnixTransport } from '../src/unix-transport.js';

describeTransportCompliance('unix', async () => ({ a: new UnixTransport(), b: new UnixTransport() }), {
  discovery: false,
});
