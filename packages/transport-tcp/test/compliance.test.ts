import { describeTransportCompliance } from '@colink/core/compliance';
import { TcpTransport } from '../src/index.js';
import { loopbackDiscovery, randomPort } from './helpers.js';

// core's transport compliance suite over real loopback TCP, with DNS-SD in loopback mode on a private port.
describeTransportCompliance('tcp', async () => {
  const discovery = loopbackDiscovery(randomPort());
  return {
    a: new TcpTransport({ host: '127.0.0.1', discovery }),
    b: new TcpTransport({ host: '127.0.0.1', discovery }),
  };
});
