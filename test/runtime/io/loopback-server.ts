/** A loopback HTTP server (127.0.0.1, random port) serving a folder, with injectable faults for tests. */
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export type Fault = 'corrupt' | 'not-found' | 'interrupt' | 'redirect';

export interface Loopback {
  url: string;
  faults: Map<string, Fault>;
  requests: string[];
  close(): Promise<void>;
}

export async function serveFolder(root: string): Promise<Loopback> {
  const faults = new Map<string, Fault>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
    requests.push(rel);
    const fault = faults.get(rel);
    if (fault === 'redirect') {
      res.writeHead(302, { location: `/${rel}?redirected=1` });
      res.end();
      faults.delete(rel);
      return;
    }
    let body: Buffer;
    try {
      if (fault === 'not-found' || normalize(rel).startsWith('..')) throw new Error('404');
      body = readFileSync(join(root, rel));
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    if (fault === 'corrupt') {
      body = Buffer.from(body);
      body[Math.floor(body.length / 2)] ^= 0xff;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    if (fault === 'interrupt') {
      // Promise the whole file, send half, then drop the connection.
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
