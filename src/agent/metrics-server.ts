// The loopback HTTP endpoint that serves the Prometheus exposition at /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class MetricsServer {
  readonly #server: Server;

  private constructor(server: Server) { this.#server = server; }

  /** Listen on host:port (port 0 = any free one) and serve render() at /metrics. */
  static listen(host: string, port: number, render: () => string): Promise<MetricsServer> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
        const body = render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(body);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found: try /metrics\n');
      }
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(new MetricsServer(server)); });
    });
  }

  get port(): number { return (this.#server.address() as AddressInfo).port; }

  close(): Promise<void> {
    return new Promise((resolve) => { this.#server.close(() => resolve()); this.#server.closeAllConnections(); });
  }
}
