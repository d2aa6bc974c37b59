// The lab network's "router": answers the connectivity probe (HTTP 204 on /generate_204) on the gateway address,
// inside the scenario's router namespace, so net-monitor's validation (NET_CAPABILITY_CHECKING_CONNECTIVITY, then
// NET_CAPABILITY_VALIDATED) happens for real without any traffic leaving the lab. Env: ROUTER_ADDRESS.
import http from 'node:http';

const address = process.env.ROUTER_ADDRESS ?? '127.0.0.1';
const server = http.createServer((req, res) => {
  console.info(`probe ${req.method} ${req.url} from ${req.socket.remoteAddress} → 204`);
  res.statusCode = req.url === '/generate_204' ? 204 : 404;
  res.end();
});
server.listen(80, address, () =>
  console.info(`connectivity probe listening on http://${address}/generate_204`),
);
process.on('SIGTERM', () => process.exit(0));
