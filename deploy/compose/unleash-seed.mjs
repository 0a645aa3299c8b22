// One-shot (docker compose service `unleash-seed`): makes sure Unleash has Cutover's flags, then
// exits. Idempotent: it creates only what is missing and never changes a flag that is already
// configured (someone may have edited it since).
//
//   FLAG_NAME (cutover-default): eligibility, read by the gateways. Who MAY join the new cohort
//     (targeting, allow/deny lists); Cutover applies the rollout percent itself. Seeded as
//     "everyone eligible" (a 100 % flexibleRollout). Without it every user is ineligible
//     (flags.fallbackEligible is false) and the canary cohort stays empty.
//   COHORT_FLAG_NAME (cutover-default-cohort): written by the gateways' Unleash mirror
//     (CUTOVER_UNLEASH_MIRROR) on every state change, for client apps that ask Unleash which SDK
//     to log into. The mirror only updates an existing flag, so it is created here, at 0 %:
//     Unleash gives an enabled flag without a strategy to everyone, which would send every
//     client app to the new SDK until the first state change.
//
// Env: UNLEASH_URL (root, e.g. http://unleash:4242), UNLEASH_ADMIN_TOKEN, FLAG_NAME,
// COHORT_FLAG_NAME (empty: skip), UNLEASH_PROJECT (default), UNLEASH_ENVIRONMENT (development:
// the environment of the gateways' backend token).

const base = (process.env.UNLEASH_URL ?? 'http://unleash:4242').replace(/\/+$/, '');
const token = process.env.UNLEASH_ADMIN_TOKEN;
const project = process.env.UNLEASH_PROJECT ?? 'default';
const environment = process.env.UNLEASH_ENVIRONMENT ?? 'development';
const eligibilityFlag = process.env.FLAG_NAME ?? 'cutover-default';
const cohortFlag = process.env.COHORT_FLAG_NAME ?? `${eligibilityFlag}-cohort`;

if (!token) {
  console.error('unleash-seed: UNLEASH_ADMIN_TOKEN is not set');
  process.exit(2);
}

async function call(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: token, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, text };
}

async function must(method, path, body) {
  const reply = await call(method, path, body);
  if (reply.status >= 300) throw new Error(`${method} ${path}: HTTP ${reply.status} ${reply.text.slice(0, 300)}`);
  return reply.body;
}

/** Creates `flag` with one flexibleRollout at `rollout` % and enables it, unless it is already configured. */
async function ensureFlag(flag, rollout, description) {
  const featurePath = `/api/admin/projects/${project}/features/${encodeURIComponent(flag)}`;
  const strategiesPath = `${featurePath}/environments/${environment}/strategies`;
  const existing = await call('GET', featurePath);
  let created = false;
  if (existing.status === 404) {
    await must('POST', `/api/admin/projects/${project}/features`, { name: flag, type: 'release', description });
    created = true;
  } else if (existing.status >= 300) {
    throw new Error(`GET ${featurePath}: HTTP ${existing.status} ${existing.text.slice(0, 300)}`);
  }
  const strategies = await must('GET', strategiesPath);
  const unconfigured = !Array.isArray(strategies) || strategies.length === 0;
  if (!created && !unconfigured) {
    console.log(`unleash-seed: ${flag} is already configured in ${environment}; left alone`);
    return;
  }
  if (unconfigured) {
    await must('POST', strategiesPath, {
      name: 'flexibleRollout',
      // Bucketed as Cutover buckets users: stickiness userId, groupId = the eligibility flag's name.
      parameters: { rollout: String(rollout), stickiness: 'userId', groupId: eligibilityFlag },
      constraints: [],
    });
  }
  await must('POST', `${featurePath}/environments/${environment}/on`);
  console.log(`unleash-seed: ${flag} ${created ? 'created' : 'configured'} and enabled in ${environment} at ${rollout} %`);
}

async function main() {
  await ensureFlag(eligibilityFlag, 100,
    'Who may join the new (Agora RTM) cohort. Cutover applies the rollout percent itself; this flag only targets.');
  if (cohortFlag) {
    await ensureFlag(cohortFlag, 0,
      "Cutover's cohort, mirrored by the gateways on every state change: client apps log into the new SDK when it is on. Do not edit the rollout by hand.");
  }
}

main().catch((err) => {
  console.error(`unleash-seed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
