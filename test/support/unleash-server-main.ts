/**
 * Entry of the unleash-server child process that `unleash-stack.ts` starts. Unleash is ESM and
 * heavy, so it runs in its own process, which also lets a test stop it to see "Unleash down".
 * It starts loading unleash-server at once (≈2 s) and reads its settings as JSON on stdin, so the
 * load overlaps PostgreSQL's boot. Without CUTOVER_TEST_UNLEASH=1 the file does nothing:
 * `node --test dist/test/` runs every file under test/, this one included.
 */
export interface UnleashChildSettings {
  db: { host: string; port: number; user: string; password: string; database: string };
  port: number;
  adminToken: string;
  backendToken: string;
}

export const CHILD_ENV = 'CUTOVER_TEST_UNLEASH';

async function readSettings(): Promise<UnleashChildSettings | undefined> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.trim() ? (JSON.parse(text) as UnleashChildSettings) : undefined;
}

async function run(): Promise<void> {
  const loading = import('unleash-server');
  const settings = await readSettings();
  // stdin closed with no settings: the parent gave up before PostgreSQL was ready.
  if (!settings) process.exit(0);
  const { start, ApiTokenType, LogLevel } = await loading;
  const unleash = await start({
    db: { ...settings.db, ssl: false, pool: { min: 0, max: 4 } },
    server: { host: '127.0.0.1', port: settings.port, gracefulShutdownEnable: false },
    versionCheck: { enable: false },
    logLevel: LogLevel.warn,
    authentication: {
      // No admin user: hashing its password is slow and the tests speak only with tokens.
      createAdminUser: false,
      initApiTokens: [
        { tokenName: 'cutover-test-admin', secret: settings.adminToken, type: ApiTokenType.ADMIN, environment: '*', projects: ['*'] },
        { tokenName: 'cutover-test-backend', secret: settings.backendToken, type: ApiTokenType.BACKEND, environment: 'development', projects: ['default'] },
      ],
    },
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    unleash.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.env[CHILD_ENV] === '1') {
  await run().catch((err: unknown) => {
    console.error('unleash-server failed to start:', err);
    process.exit(1);
  });
}
