/**
 * A real nginx serving a directory on 127.0.0.1 (the tests' static web server): config, logs,
 * pid and temp paths in a temp dir; started by a test, stopped in its after hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export class Nginx {
  private child?: ChildProcess;
  port = 0;
  constructor(readonly root: string, readonly dir: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get accessLog(): string {
    return join(this.dir, 'access.log');
  }

  /** Request paths from the access log (GET lines with status), in order. */
  requests(): { path: string; status: number }[] {
    let text = '';
    try {
      text = readFileSync(this.accessLog, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').flatMap((l) => {
      const m = /"GET (\S+) HTTP\/[\d.]+" (\d+)/.exec(l);
      return m ? [{ path: m[1], status: Number(m[2]) }] : [];
    });
  }

  clearLog(): void {
    writeFileSync(this.accessLog, '');
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.port = await freePort();
    const conf = join(this.dir, 'nginx.conf');
    const d = this.dir;
    writeFileSync(conf, `daemon off;
master_process off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log;
events { worker_connections 512; }
http {
  access_log ${d}/access.log;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  default_type application/octet-stream;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${this.port};
    root ${this.root};
    location / { }
  }
}
`);
    this.child = spawn(NGINX, ['-c', conf, '-p', d], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr!.on('data', (c) => (stderr += c));
    for (let i = 0; i < 100; i++) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nginx did not listen on ${this.port}: ${stderr}`);
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 3000).unref();
    });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
