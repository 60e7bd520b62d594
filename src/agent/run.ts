// Runs an agent as a live process: config file in, metrics server up, SIGTERM/SIGINT -> clean stop
// (port health saved to the state file when one is configured), SIGHUP -> config reloaded (peers).
import { UsageError, type IoKind } from '../capture/index.js';
import { Agent } from './agent.js';
import { loadAgentConfig } from './config.js';
import { MetricsServer } from './metrics-server.js';

/**
 * Start the agent from a config file and resolve once it has stopped on a signal (or `signal`
 * aborted). `io` chooses the packet I/O (default: mmap where the AF_PACKET addon is built, else cap).
 */
export async function runAgent(configPath: string, signal?: AbortSignal, io?: IoKind): Promise<void> {
  const config = loadAgentConfig(configPath);
  const agent = new Agent({ config, configPath, io });
  let server: MetricsServer;
  try {
    server = await MetricsServer.listen(config.metricsHost, config.metricsPort, () => agent.metricsText());
  } catch (e) {
    agent.stop();
    throw new UsageError(`cannot serve metrics on ${config.metricsHost}:${config.metricsPort}: ${(e as Error).message}`);
  }
  await new Promise<void>((resolve) => {
    const reload = (): void => {
      // A config that does not load leaves the running one in force.
      try { agent.reload(loadAgentConfig(configPath)); } catch (e) {
        agent.warn(`reload refused, running config kept: ${(e as Error).message}`);
      }
    };
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', reload);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', reload);
    if (signal?.aborted) stop(); else signal?.addEventListener('abort', stop);
    agent.start({ metrics: `http://${config.metricsHost}:${server.port}/metrics` });
  });
  agent.stop();
  await server.close();
}
