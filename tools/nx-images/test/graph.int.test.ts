import { accessSync, constants, createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, extname, join, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { run } from '../src/lib/io/exec';

// base_image and tractor are deliberately independent projects: tractor's build order comes from a
// task-level dependsOn, never a project graph edge, so a base_image change does not rebuild tractor.

const workspaceRoot = resolve(__dirname, '../../..');
const IMAGES = ['base_image', 'tractor'];

/** A Chromium-family browser: $CHROMIUM_PATH, else the first on PATH (Debian: chromium, GitHub runners: google-chrome). */
function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'google-chrome-stable', 'google-chrome', 'chromium-browser']) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  console.log('graph rendering test skipped: no Chromium found (set CHROMIUM_PATH, or install chromium or google-chrome)');
}

async function nxGraph(file: string): Promise<void> {
  await run({ command: 'npx', args: ['nx', 'graph', `--file=${file}`], env: { NX_DAEMON: 'false' }, cwd: workspaceRoot });
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Static files from `root` on a free loopback port; nothing outside `root` is served. */
async function serveStatic(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = resolve(root, `.${pathname}`);
    const inside = file.startsWith(root + sep);
    if (!inside || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

interface GraphJson {
  graph: {
    nodes: Record<string, { name: string; type: string; data: { root: string } }>;
    dependencies: Record<string, { source: string; target: string; type: string }[]>;
  };
}

describe('nx graph', () => {
  let dir = '';
  let keep = false;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fornax-nx-graph-'));
  });
  afterAll(() => {
    if (keep) console.log(`graph test output kept for inspection in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });

  it('lists both images as projects with no dependency edge between them', async () => {
    onTestFailed(() => {
      keep = true;
    });
    const file = join(dir, 'graph.json');
    await nxGraph(file);
    const { graph } = JSON.parse(readFileSync(file, 'utf8')) as GraphJson;

    for (const image of IMAGES) {
      expect(graph.nodes[image]?.data.root).toBe(`images/${image}`);
    }
    const edgesBetweenImages = Object.values(graph.dependencies)
      .flat()
      .filter((d) => IMAGES.includes(d.source) && IMAGES.includes(d.target) && d.source !== d.target);
    expect(edgesBetweenImages).toEqual([]);
  });

  it.skipIf(chromiumPath === undefined)('draws a node for each image in the browser', async () => {
    onTestFailed(() => {
      keep = true;
    });
    await nxGraph(join(dir, 'graph.html'));
    const { url, server } = await serveStatic(dir);
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      // The graph is drawn by cytoscape on <canvas>, so the DOM holds no nodes; cytoscape registers each
      // instance on its container as `_cyreg`, which we capture to ask the live renderer what it drew.
      await page.addInitScript(CAPTURE_CYTOSCAPE);
      await page.goto(`${url}/graph.html`);
      await page.waitForFunction(`(${DRAWN_NODES})(${JSON.stringify(IMAGES)}).every((n) => n.painted)`, undefined, { timeout: 60_000 });
      const drawn = await page.evaluate<DrawnNode[]>(`(${DRAWN_NODES})(${JSON.stringify(IMAGES)})`);
      await page.screenshot({ path: join(dir, 'graph.png') });

      expect(pageErrors).toEqual([]);
      expect(drawn).toEqual(
        IMAGES.map((name) => ({
          name,
          inGraph: true,
          visible: true,
          onScreen: true,
          topElementIsGraph: true,
          painted: true,
          edgesToOtherImages: 0,
        })),
      );
    } finally {
      await browser.close();
      await new Promise((done) => server.close(done));
    }
  });
});

interface DrawnNode {
  name: string;
  inGraph: boolean;
  visible: boolean;
  onScreen: boolean;
  topElementIsGraph: boolean;
  painted: boolean;
  edgesToOtherImages: number;
}

// Runs in the page before its scripts: records every cytoscape registration object ({ cy }).
const CAPTURE_CYTOSCAPE = `
  window.__cyRegistrations = [];
  Object.defineProperty(HTMLElement.prototype, '_cyreg', {
    configurable: true,
    get() { return this.__cyregValue; },
    set(value) { if (value) window.__cyRegistrations.push(value); this.__cyregValue = value; },
  });
`;

// Runs in the page: for each project, what the live cytoscape instance shows at the node's position.
// "painted" reads the graph canvases at the node's centre, so a node that is only in the data model fails.
const DRAWN_NODES = `function drawnNodes(names) {
  const live = (window.__cyRegistrations || [])
    .map((r) => r.cy)
    .filter((cy) => cy && !cy.destroyed() && document.contains(cy.container()));
  const cy = live[live.length - 1];
  return names.map((name) => {
    const result = { name, inGraph: false, visible: false, onScreen: false, topElementIsGraph: false, painted: false, edgesToOtherImages: 0 };
    if (!cy) return result;
    const node = cy.getElementById('project-' + name);
    if (node.empty()) return result;
    result.inGraph = node.data('name') === name;
    result.visible = node.visible() && node.style('opacity') > 0;
    const container = cy.container();
    const box = container.getBoundingClientRect();
    const p = node.renderedPosition();
    const x = box.left + p.x, y = box.top + p.y;
    result.onScreen = x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight;
    const top = document.elementFromPoint(x, y);
    result.topElementIsGraph = !!top && container.contains(top);
    for (const canvas of container.querySelectorAll('canvas')) {
      const ratio = canvas.width / canvas.clientWidth;
      const pixel = canvas.getContext('2d').getImageData(Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data;
      if (pixel[3] > 0 && !(pixel[0] > 240 && pixel[1] > 240 && pixel[2] > 240)) result.painted = true;
    }
    result.edgesToOtherImages = node.connectedEdges().filter((e) => {
      const other = e.source().id() === node.id() ? e.target() : e.source();
      return other.id() !== node.id() && names.includes(other.data('name'));
    }).length;
    return result;
  });
}`;
