// WebdriverIO configuration for Folio's GUI end-to-end tests (tauri-driver + WebKitWebDriver).
//
// Required:  FOLIO_APP      path to the built Folio executable
// Optional:  FOLIO_FIXTURE  document to open (default: ../fixtures/three-pages.pdf)
//            FOLIO_FIXTURE_PAGES  expected page count (default: 3, read by the spec)
//            TAURI_DRIVER   path to tauri-driver (default: ~/.cargo/bin/tauri-driver, then PATH)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Thrown from a hook, this aborts the whole run instead of starting workers.
import { SevereServiceError } from 'webdriverio';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER_HOST = '127.0.0.1';
const DRIVER_PORT = 4444;

function fail(message) {
  console.error(`\n[folio-e2e] ${message}\n`);
  process.exit(2);
}

const app = process.env.FOLIO_APP;
if (!app) fail('FOLIO_APP is not set: point it at the built Folio executable (e.g. target/debug/folio).');
const appPath = path.resolve(app);
if (!fs.existsSync(appPath)) fail(`FOLIO_APP does not exist: ${appPath}`);

const fixture = path.resolve(here, process.env.FOLIO_FIXTURE || '../fixtures/three-pages.pdf');
if (!fs.existsSync(fixture)) fail(`FOLIO_FIXTURE does not exist: ${fixture}`);
// A folder of three page images whose second is damaged: the failures spec processes it.
const damaged = path.resolve(here, '../fixtures/damaged-pages');
if (!fs.existsSync(damaged)) fail(`the damaged-pages fixture is missing: ${damaged}`);

function driverBinary() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const cargoBin = path.join(os.homedir(), '.cargo', 'bin', 'tauri-driver');
  return fs.existsSync(cargoBin) ? cargoBin : 'tauri-driver';
}

function portOpen(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(host, port)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

let tauriDriver = null;

export const config = {
  runner: 'local',
  hostname: DRIVER_HOST,
  port: DRIVER_PORT,
  specs: ['./specs/**/*.e2e.js'],
  maxInstances: 1,
  capabilities: [
    {
      maxInstances: 1,
      'tauri:options': {
        application: appPath,
        args: ['--open', fixture, '--open', damaged],
      },
    },
  ],
  logLevel: 'warn',
  bail: 0,
  waitforTimeout: 60000,
  connectionRetryTimeout: 120000,
  connectionRetryCount: 2,
  framework: 'mocha',
  reporters: ['spec'],
  mochaOpts: {
    ui: 'bdd',
    timeout: 120000,
  },

  // Use an already-running tauri-driver on :4444, otherwise spawn one.
  onPrepare: async function () {
    if (await portOpen(DRIVER_HOST, DRIVER_PORT)) {
      console.log(`[folio-e2e] using tauri-driver already listening on ${DRIVER_HOST}:${DRIVER_PORT}`);
      return;
    }
    const bin = driverBinary();
    console.log(`[folio-e2e] starting ${bin} on port ${DRIVER_PORT}`);
    tauriDriver = spawn(bin, ['--port', String(DRIVER_PORT)], { stdio: [null, process.stdout, process.stderr] });
    const spawnError = new Promise((_, reject) =>
      tauriDriver.once('error', (err) => reject(new Error(`failed to start tauri-driver (${bin}): ${err.message}`))),
    );
    const ready = waitForPort(DRIVER_HOST, DRIVER_PORT, 30000).then((ok) => {
      if (!ok) throw new Error(`tauri-driver did not listen on ${DRIVER_HOST}:${DRIVER_PORT} within 30 s`);
    });
    try {
      await Promise.race([ready, spawnError]);
    } catch (err) {
      killDriver();
      throw new SevereServiceError(err.message);
    }
  },

  onComplete: function () {
    if (tauriDriver && tauriDriver.exitCode === null) tauriDriver.kill();
    tauriDriver = null;
  },
};

function killDriver() {
  if (tauriDriver && tauriDriver.exitCode === null) tauriDriver.kill();
}
process.on('exit', killDriver);
